import { describe, expect, it } from 'vitest';
import { formatRelative } from '../src/dates.ts';

// The admin list says how soon a channel expires and how stale a sync is in these words.
describe('formatRelative', () => {
  const now = new Date('2031-03-10T12:00:00Z');
  const at = (ms: number) => new Date(now.getTime() + ms);
  // In the machine's language, as the page uses the browser's: the rounding is what is checked.
  const words = (n: number, unit: Intl.RelativeTimeFormatUnit) => new Intl.RelativeTimeFormat(undefined, { numeric: 'always' }).format(n, unit);

  it('rounds each unit from the smaller one, so an hour less a few seconds reads as an hour', () => {
    expect(formatRelative(at(3_600_000 - 20_000), now)).toBe(words(1, 'hour'));
    expect(formatRelative(at(7 * 86_400_000 - 60_000), now)).toBe(words(7, 'day'));
    expect(formatRelative(at(-(23 * 3_600_000 + 50 * 60_000)), now)).toBe(words(-1, 'day'));
    expect(formatRelative(at(-5 * 60_000), now)).toBe(words(-5, 'minute'));
  });

  it('says "just now" for the last half minute, and never "in 0 minutes"', () => {
    expect(formatRelative(at(-20_000), now)).toBe('just now');
    expect(formatRelative(at(20_000), now)).toBe('in less than a minute');
  });
});
