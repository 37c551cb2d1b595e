/**
 * Usage: pnpm --filter @calsync/calendar migration:create [name]
 *
 * Writes the migration that brings the committed schema in line with this package's entities
 * (e.g. after a field was added to the event shape) into packages/db/src/migrations.
 */
import { createMigration } from '@calsync/db/create-migration';
import { entities } from '../entities.ts';

try {
  const created = await createMigration(entities, process.argv.slice(2).find((arg) => arg !== '--'));
  if (!created) {
    console.log('No changes: the entities match the committed migrations.');
  } else {
    console.log(`Created packages/db/src/migrations/${created.fileName}:`);
    for (const sql of created.up) console.log(`  ${sql}`);
    console.log('Review it (MikroORM does not emit everything, e.g. data migrations), then commit it.');
  }
} catch (err) {
  console.error(err);
  process.exitCode = 1;
}
