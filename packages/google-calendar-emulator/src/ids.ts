import { randomBytes, randomInt } from 'node:crypto';

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';
const CLIENT_EVENT_ID = /^[a-v0-9]{5,1024}$/;

export const isValidEventId = (id: string): boolean => CLIENT_EVENT_ID.test(id);

// One randomBytes call per event dominated bulk seeding; drawing from a pool is ~10x cheaper.
let pool = Buffer.alloc(0);
let poolPos = 0;

/** Google's generated event ids are 26 lowercase base32hex characters. */
export function newEventId(): string {
  if (poolPos + 26 > pool.length) {
    pool = randomBytes(26 * 4096);
    poolPos = 0;
  }
  let id = '';
  for (let i = 0; i < 26; i++) id += BASE32HEX[pool[poolPos + i]! & 31];
  poolPos += 26;
  return id;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const letters = (n: number): string => Array.from({ length: n }, () => LETTERS[randomInt(26)]).join('');

/** Meet codes look like abc-defg-hij. */
export const newMeetCode = (): string => `${letters(3)}-${letters(4)}-${letters(3)}`;

export const randomToken = (bytes: number): string => randomBytes(bytes).toString('base64url');
