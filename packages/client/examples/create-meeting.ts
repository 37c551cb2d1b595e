// Creates a meeting with a Meet link through the typed client and lists the week around it.
// Usage (with `pnpm start` running): pnpm --filter @calsync/client demo <token> [url]
import { createCalendarClient, TRPCClientError } from '../src/index.ts';

const [token, url = 'http://127.0.0.1:3000/trpc'] = process.argv.slice(2);
if (!token) {
  console.error('usage: pnpm --filter @calsync/client demo <token printed by pnpm start> [tRPC url]');
  process.exit(2);
}

const client = createCalendarClient({ url, getToken: () => token });
const start = new Date(Date.now() + 24 * 3600_000);
start.setUTCMinutes(0, 0, 0);

try {
  const event = await client.calendar.createEvent.mutate({
    summary: 'Intro call (calsync demo)',
    startTime: start,
    endTime: new Date(start.getTime() + 30 * 60_000),
    attendees: ['buyer@example.com'],
  });
  console.log(`created ${event.id}: "${event.summary}" at ${event.startTime.toISOString()}`);
  console.log(`Meet link: ${event.meetLink ?? '(none)'}`);

  const week = await client.calendar.listEvents.query({
    timeMin: new Date(start.getTime() - 3 * 24 * 3600_000),
    timeMax: new Date(start.getTime() + 4 * 24 * 3600_000),
  });
  console.log(`listEvents (from our database): ${week.items.length} event(s) this week`);
} catch (err) {
  if (err instanceof TRPCClientError) {
    console.error(`failed: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
