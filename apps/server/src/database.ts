import { entities } from '@calsync/calendar';
import { createOrm, migrateUp, startEmbeddedPostgres, type MikroORM } from '@calsync/db';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';

export interface Database {
  orm: MikroORM;
  url: string;
  close(): Promise<void>;
}

/** DATABASE_URL when given; otherwise an embedded PostgreSQL, so a fresh machine needs nothing. */
export async function setUpDatabase(config: Config, logger: Logger): Promise<Database> {
  let url = config.database.url;
  let embedded: { stop(): Promise<void> } | undefined;
  if (!url) {
    const dataDir = config.database.embeddedDataDir;
    const pg = await startEmbeddedPostgres(dataDir ? { dataDir, persistent: true } : {});
    embedded = pg;
    url = pg.url;
    logger.warn({ dataDir: dataDir ?? '(temporary, deleted on exit)' }, 'DATABASE_URL is not set: started an embedded PostgreSQL');
  }
  try {
    const orm = await createOrm({ clientUrl: url, entities });
    await migrateUp(orm);
    return {
      orm,
      url,
      // Order matters: close the pool before stopping the server it talks to.
      async close() {
        await orm.close(true);
        await embedded?.stop();
      },
    };
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
}
