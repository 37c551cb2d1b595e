import { encodeCursor, entities, EventService } from '@calsync/calendar';
import { GoogleCalendarGateway } from '@calsync/google';
import type { ServiceAccountKey } from '@calsync/google-calendar-emulator';
import { MikroORM } from '@mikro-orm/postgresql';
import type pg from 'pg';

/** One statement the server sends for a listEvents call, in the forms the bench needs. */
export interface CapturedStatement {
  /** Exactly what reaches PostgreSQL: MikroORM inlines the parameters (simple query protocol). */
  inlined: string;
  /** The same with $1..$n placeholders, for a prepared statement; undefined if it cannot be split safely. */
  text: string | undefined;
  values: unknown[];
}

export interface ListInput {
  timeMin: Date;
  timeMax: Date;
  limit: number;
  cursor?: string | undefined;
}

/**
 * Learns the list query by running the server's own code path (EventService.listEventsText, the
 * exported domain service a listEvents GET calls) on an ORM of the bench's own that records
 * every statement: MikroORM's `onQuery` hook sees what goes through the ORM (`?` placeholders),
 * a wrapper of its pg pool's `query` what is sent as a prepared statement (`$n`). Nothing is
 * copied from the server's source, so whatever listWindow becomes, the raw-SQL baseline is the
 * SQL it runs.
 */
interface Recorded {
  sql: string;
  params: readonly unknown[];
  /** `$n` placeholders (a prepared statement) rather than MikroORM's `?`. */
  numbered: boolean;
}
interface Recorder {
  statements: Recorded[] | undefined;
}

export class ListQueryProbe {
  private constructor(
    private readonly recorder: Recorder,
    private readonly orm: MikroORM,
    private readonly events: EventService,
    private readonly calendar: { calendarId: string; subject: string },
  ) {}

  static async open(opts: { databaseUrl: string; calendarId: string; key: ServiceAccountKey; emulatorUrl: string; impersonateUser: string }): Promise<ListQueryProbe> {
    const recorder: Recorder = { statements: undefined };
    const orm = await MikroORM.init({
      clientUrl: opts.databaseUrl,
      entities: [...entities],
      pool: { min: 0, max: 1 },
      onQuery: (sql, params) => {
        recorder.statements?.push({ sql, params, numbered: false });
        return sql;
      },
    });
    const pool = (await orm.em.getConnection().getNativeClient()) as pg.Pool;
    const query = pool.query.bind(pool) as (config: unknown, values?: unknown) => Promise<unknown>;
    (pool as { query: unknown }).query = (config: unknown, values?: unknown) => {
      if (typeof config === 'object' && config !== null && 'text' in config && typeof config.text === 'string') {
        recorder.statements?.push({ sql: config.text, params: 'values' in config && Array.isArray(config.values) ? config.values : [], numbered: true });
      }
      return query(config, values);
    };
    // Listing never calls Google; the service needs a gateway all the same, so it gets a real one.
    const google = new GoogleCalendarGateway({ credentials: opts.key, apiBaseUrl: opts.emulatorUrl });
    const probe = new ListQueryProbe(recorder, orm, new EventService({ em: orm.em, google }), { calendarId: opts.calendarId, subject: opts.impersonateUser });
    // A fresh ORM's first query is preceded by its own check that the database exists: keep that
    // out of the recording with one unrecorded call.
    await probe.events.listEventsText(probe.scope, { timeMin: new Date(0), timeMax: new Date(60_000), limit: 1 }, 'api');
    return probe;
  }

  /**
   * Runs one listEvents call as the server answers a listEvents GET (its page written as JSON
   * text by PostgreSQL) and returns the page's size and cursor and the statements it sent.
   */
  async capture(input: ListInput): Promise<{ page: { count: number; nextCursor: string | null }; statements: CapturedStatement[] }> {
    const recorded: Recorded[] = [];
    this.recorder.statements = recorded;
    try {
      const text = await this.events.listEventsText(this.scope, input, 'api');
      const page = { count: text.count, nextCursor: text.hasMore && text.last ? encodeCursor(text.last) : null };
      const platform = this.orm.em.getPlatform();
      const statements = recorded.map(({ sql, params, numbered }) =>
        numbered
          ? { inlined: platform.formatQuery(...questionMarks(sql, params)), text: sql, values: [...params] }
          : { inlined: platform.formatQuery(sql, params), text: positional(sql, params.length), values: [...params] },
      );
      return { page, statements };
    } finally {
      this.recorder.statements = undefined;
    }
  }

  private get scope() {
    return { userId: 'bench-user', ...this.calendar };
  }

  async close(): Promise<void> {
    await this.orm.close(true);
  }
}

/**
 * MikroORM's `?` placeholders as PostgreSQL's `$n`, following the rules of its formatQuery
 * (`\?` is a literal question mark, `??` an identifier parameter, every other `?` a value).
 */
function positional(sql: string, paramCount: number): string | undefined {
  let out = '';
  let n = 0;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i];
    if (ch === '\\' && sql[i + 1] === '?') {
      out += '?';
      i++;
    } else if (ch === '?') {
      if (sql[i + 1] === '?') return undefined;
      out += `$${++n}`;
    } else {
      out += ch;
    }
  }
  return n === paramCount ? out : undefined;
}

/** `$n` placeholders back as `?` with the values in order of appearance (for formatQuery / EXPLAIN). */
function questionMarks(sql: string, params: readonly unknown[]): [string, unknown[]] {
  const ordered: unknown[] = [];
  const text = sql.replace(/\$(\d+)/g, (_m, n: string) => {
    ordered.push(params[Number(n) - 1]);
    return '?';
  });
  return [text, ordered];
}
