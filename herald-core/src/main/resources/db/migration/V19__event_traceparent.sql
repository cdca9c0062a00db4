-- The W3C traceparent of an event's herald.ingest span (see dev.herald.tracing.Tracing): delivery happens later,
-- possibly on another node, and its spans are children of this one. Null when tracing was off at ingest (or for
-- events stored before V19): the delivery spans then join the event's trace_id under a made-up parent span id.
alter table events add column traceparent text;
