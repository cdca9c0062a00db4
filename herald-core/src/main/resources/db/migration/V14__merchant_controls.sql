-- The operator's controls of a merchant (a payment callback platform's black and white lists, URL control, routing):
-- status: active; suspended (its deliveries wait, resumed on re-activation); blocked (new events and notifications for
--   it are refused, what is pending waits). listed: in a deployment's allow-list mode only listed merchants receive.
-- url_rules: {"hosts": ["*.shop.example", "api.shop.example:8443"], "https_only": true, "private_networks": ["10.20.0.0/16"]}
-- sync_types / default_priority: how a notification is sent when its caller does not say.
alter table merchants add column status text not null default 'active' check (status in ('active', 'suspended', 'blocked'));
alter table merchants add column listed boolean not null default false;
alter table merchants add column url_rules jsonb not null default '{}';
alter table merchants add column sync_types text[] not null default '{}';
alter table merchants add column default_priority smallint not null default 0 check (default_priority between 0 and 9);
