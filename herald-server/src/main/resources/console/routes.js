// Page of each first path segment: page(view, rest, params, current) fills view; current() is false once the user moved on.
import {overview} from './overview.js';
import {endpoints} from './endpoints.js';
import {deliveries} from './deliveries.js';
import {events} from './events.js';
import {eventTypes} from './event-types.js';
import {merchants} from './merchants.js';
import {keys} from './keys.js';
import {audit} from './audit.js';

export const routes = {'': overview, endpoints, deliveries, events, 'event-types': eventTypes, merchants, keys, audit};
