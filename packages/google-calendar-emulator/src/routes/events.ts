/** Google Calendar v3 event, channel, calendar and free/busy routes (the part the client library calls). */
import express, { type Request, type Response, type Router } from 'express';
import type { Auth } from '../auth.ts';
import type { Gate } from '../gate.ts';
import { ApiError, invalidParam, notFound } from '../errors.ts';
import { freeBusy, parseFreeBusyQuery } from '../freebusy.ts';
import { isObject, renderEvent, type JsonObject } from '../event.ts';
import { seriesRule } from '../instances.ts';
import type { InstancesQuery, ListQuery, Lister } from '../list.ts';
import { parseDate } from '../time.ts';
import type { Push } from '../push.ts';
import type { Quotas } from '../quota.ts';
import type { ApiMethod } from '../stats.ts';
import type { Actor, Calendar, Store, WriteOptions } from '../store.ts';
import { boolParam, enumParam, intParam, param, timeParam } from './params.ts';

export interface ApiDeps {
  auth: Auth;
  store: Store;
  lister: Lister;
  push: Push;
  gate: Gate;
  quotas: Quotas;
}

type Handler = (req: Request, res: Response, actor: Actor) => void;

/** `primary` and the principal's own address are theirs; anything else must be shared with them. */
function calendarFor(store: Store, actor: Actor, raw: string | string[] | undefined): Calendar {
  const id = (typeof raw === 'string' ? raw : '').toLowerCase();
  if (id === 'primary' || id === actor.principal) return store.calendar(actor.principal);
  const cal = store.calendars.get(id);
  if (!cal || !cal.sharedWith.has(actor.principal)) throw notFound();
  return cal;
}

const bodyOf = (req: Request): JsonObject => (isObject(req.body) ? req.body : {});

function writeOptions(req: Request): WriteOptions {
  enumParam(req, 'sendUpdates', ['all', 'externalOnly', 'none'] as const);
  return { conferenceDataVersion: intParam(req, 'conferenceDataVersion', 0, 0, 1), ifMatch: req.get('if-match') };
}

/** Syncs cannot be narrowed: Google refuses these together with a syncToken. */
const NOT_WITH_SYNC_TOKEN = ['iCalUID', 'orderBy', 'q', 'timeMin', 'timeMax', 'updatedMin', 'privateExtendedProperty', 'sharedExtendedProperty'];

function listQuery(req: Request): ListQuery {
  const syncToken = param(req, 'syncToken');
  if (syncToken !== undefined) {
    const clash = NOT_WITH_SYNC_TOKEN.find((name) => param(req, name) !== undefined);
    if (clash !== undefined) throw invalidParam(clash, `The parameter ${clash} cannot be used together with syncToken.`);
  }
  // Google caps larger pages silently at 2500; zero or negative sizes are refused.
  const maxResults = Math.min(intParam(req, 'maxResults', 250, 1, Number.MAX_SAFE_INTEGER), 2500);
  const singleEvents = boolParam(req, 'singleEvents', false);
  const orderBy = enumParam(req, 'orderBy', ['startTime', 'updated'] as const);
  if (orderBy === 'startTime' && !singleEvents) {
    throw invalidParam('orderBy', 'The requested ordering is not available for the particular query.');
  }
  const q: ListQuery = { maxResults, showDeleted: boolParam(req, 'showDeleted', false), singleEvents };
  const timeMinMs = timeParam(req, 'timeMin');
  const timeMaxMs = timeParam(req, 'timeMax');
  if (timeMinMs !== undefined && timeMaxMs !== undefined && timeMaxMs <= timeMinMs) {
    throw new ApiError(400, 'timeRangeEmpty', 'The specified time range is empty.', { locationType: 'parameter', location: 'timeMax' });
  }
  const updatedMinMs = timeParam(req, 'updatedMin');
  const pageToken = param(req, 'pageToken');
  const text = param(req, 'q');
  const iCalUID = param(req, 'iCalUID');
  if (syncToken !== undefined) q.syncToken = syncToken;
  if (pageToken !== undefined) q.pageToken = pageToken;
  if (timeMinMs !== undefined) q.timeMinMs = timeMinMs;
  if (timeMaxMs !== undefined) q.timeMaxMs = timeMaxMs;
  if (updatedMinMs !== undefined) q.updatedMinMs = updatedMinMs;
  if (orderBy !== undefined) q.orderBy = orderBy;
  if (text !== undefined && text !== '') q.q = text;
  if (iCalUID !== undefined) q.iCalUID = iCalUID;
  return q;
}

function instancesQuery(req: Request): InstancesQuery {
  const q: InstancesQuery = {
    maxResults: Math.min(intParam(req, 'maxResults', 250, 1, Number.MAX_SAFE_INTEGER), 2500),
    showDeleted: boolParam(req, 'showDeleted', false),
  };
  const timeMinMs = timeParam(req, 'timeMin');
  const timeMaxMs = timeParam(req, 'timeMax');
  if (timeMinMs !== undefined && timeMaxMs !== undefined && timeMaxMs <= timeMinMs) {
    throw new ApiError(400, 'timeRangeEmpty', 'The specified time range is empty.', { locationType: 'parameter', location: 'timeMax' });
  }
  const pageToken = param(req, 'pageToken');
  const originalStart = param(req, 'originalStart');
  if (timeMinMs !== undefined) q.timeMinMs = timeMinMs;
  if (timeMaxMs !== undefined) q.timeMaxMs = timeMaxMs;
  if (pageToken !== undefined) q.pageToken = pageToken;
  if (originalStart !== undefined) {
    // A timed occurrence is named by its RFC3339 start, an all-day one by its date.
    const ms = timeParam(req, 'originalStart', true) ?? parseDate(originalStart);
    if (ms === undefined) throw invalidParam('originalStart', `Invalid value for originalStart: ${originalStart}`);
    q.originalStartMs = ms;
  }
  return q;
}

export function apiRouter(deps: ApiDeps): Router {
  const { auth, store, lister, push, gate, quotas } = deps;
  const router = express.Router();
  const api =
    (method: ApiMethod, access: 'read' | 'write', handler: Handler) =>
    (req: Request, res: Response): Promise<void> => {
      const raw = typeof req.params.calendarId === 'string' ? req.params.calendarId.toLowerCase() : undefined;
      // `primary` of two different users are two calendars: key and match on the owner's address.
      const resolved = raw === 'primary' ? (auth.principalOf(req) ?? raw) : raw;
      const calendarIds = raw === undefined || resolved === undefined ? [] : [...new Set([raw, resolved])];
      const key = resolved === undefined ? method : `${method} ${resolved}`;
      return gate.run(req, res, { method, calendarIds, key, style: 'api' }, () => {
        const caller = auth.authenticate(req, access);
        // Only authenticated requests have a user and a project to charge.
        quotas.admit(caller.project, caller.principal);
        handler(req, res, caller);
      });
    };
  const events = '/calendar/v3/calendars/:calendarId/events';

  router.get(
    '/calendar/v3/calendars/:calendarId',
    api('calendars.get', 'read', (req, res, actor) => {
      const cal = calendarFor(store, actor, req.params.calendarId);
      res.json({
        kind: 'calendar#calendar',
        etag: `"${cal.updatedMs}"`,
        id: cal.id,
        summary: cal.id,
        timeZone: 'UTC',
        conferenceProperties: { allowedConferenceSolutionTypes: ['hangoutsMeet'] },
      });
    }),
  );

  router.post(
    `${events}/watch`,
    api('events.watch', 'read', (req, res, actor) => {
      res.json(push.watch(calendarFor(store, actor, req.params.calendarId), bodyOf(req)));
    }),
  );

  router.post(
    '/calendar/v3/channels/stop',
    api('channels.stop', 'read', (req, res) => {
      push.stop(bodyOf(req));
      res.status(204).end();
    }),
  );

  // One call for many calendars: each is looked up as the other routes do, and one the caller may
  // not read is an error inside the answer (notFound), not a failed call.
  router.post(
    '/calendar/v3/freeBusy',
    api('freebusy.query', 'read', (req, res, actor) => {
      res.json(freeBusy(store, parseFreeBusyQuery(bodyOf(req)), (id) => calendarFor(store, actor, id)));
    }),
  );

  router.get(
    events,
    api('events.list', 'read', (req, res, actor) => {
      const cal = calendarFor(store, actor, req.params.calendarId);
      res.json(lister.list(cal, listQuery(req), actor.principal));
    }),
  );

  router.get(
    `${events}/:eventId/instances`,
    api('events.instances', 'read', (req, res, actor) => {
      const cal = calendarFor(store, actor, req.params.calendarId);
      const master = store.get(cal.id, String(req.params.eventId));
      // A single event, or an occurrence, has no occurrences of its own to list.
      if (seriesRule(master) === undefined) throw notFound();
      res.json(lister.instances(cal, master, instancesQuery(req), actor.principal));
    }),
  );

  router.post(
    events,
    api('events.insert', 'write', (req, res, actor) => {
      const cal = calendarFor(store, actor, req.params.calendarId);
      res.json(renderEvent(store.insert(cal.id, bodyOf(req), actor, writeOptions(req)), actor.principal));
    }),
  );

  router.get(
    `${events}/:eventId`,
    api('events.get', 'read', (req, res, actor) => {
      const cal = calendarFor(store, actor, req.params.calendarId);
      res.json(renderEvent(store.get(cal.id, String(req.params.eventId)), actor.principal));
    }),
  );

  router.patch(
    `${events}/:eventId`,
    api('events.patch', 'write', (req, res, actor) => {
      const cal = calendarFor(store, actor, req.params.calendarId);
      const ev = store.patch(cal.id, String(req.params.eventId), bodyOf(req), actor, writeOptions(req));
      res.json(renderEvent(ev, actor.principal));
    }),
  );

  router.put(
    `${events}/:eventId`,
    api('events.update', 'write', (req, res, actor) => {
      const cal = calendarFor(store, actor, req.params.calendarId);
      const ev = store.update(cal.id, String(req.params.eventId), bodyOf(req), actor, writeOptions(req));
      res.json(renderEvent(ev, actor.principal));
    }),
  );

  router.delete(
    `${events}/:eventId`,
    api('events.delete', 'write', (req, res, actor) => {
      const cal = calendarFor(store, actor, req.params.calendarId);
      enumParam(req, 'sendUpdates', ['all', 'externalOnly', 'none'] as const);
      store.remove(cal.id, String(req.params.eventId), { ifMatch: req.get('if-match') });
      res.status(204).end();
    }),
  );

  return router;
}
