-- A merchant's secret rotation overlaps like an endpoint's: the replaced secret keeps signing its notifications beside
-- the new one until previous_secret_until (24 h), so receivers can switch without failing a callback.
alter table merchants add column previous_secret text;
alter table merchants add column previous_secret_until timestamptz;
