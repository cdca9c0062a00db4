-- Notifications: ad-hoc callbacks to a notify_url given per request (a payment API's notify_url), signed with the
-- merchant's secret and judged by the merchant's ack rule ('2xx', or 'body:<text>': a 2xx whose body is exactly <text>).
-- Each (merchant, notify_url) gets a hidden endpoint of kind 'notification', so notifications reuse lanes, retries,
-- the delivery log and resend.
create table merchants (
    id          text primary key,
    name        text not null default '',
    secret      text not null,
    ack         text not null default '2xx',
    created_at  timestamptz not null,
    updated_at  timestamptz not null
);
alter table endpoints add column kind text not null default 'webhook' check (kind in ('webhook', 'notification'));
alter table endpoints add column ack text not null default '2xx';
create unique index endpoints_notification_target on endpoints (merchant_id, url) where kind = 'notification' and deleted_at is null;
