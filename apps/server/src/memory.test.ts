import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { SERVER_DIR, startCommandArgs } from './start-command.ts';

const releaseIn = (flags: string[]) =>
  spawnSync(process.execPath, [...flags, '--import', 'tsx', '--input-type=module', '-e', "const m = await import('./src/memory.ts'); console.log(m.releaseUnusedMemory())"], {
    cwd: SERVER_DIR,
    encoding: 'utf8',
  });

it('the start script runs src/main.ts with the heap flags and gc exposed', () => {
  const args = startCommandArgs();
  expect(args.at(-1)).toBe('src/main.ts');
  expect(args).toEqual(expect.arrayContaining(['--import', 'tsx', '--expose-gc']));
  expect(args.some((a) => a.startsWith('--max-old-space-size='))).toBe(true);
});

it('releases memory after start-up only where gc is exposed', () => {
  const withGc = releaseIn(['--expose-gc']);
  expect(withGc.stderr).toBe('');
  expect(withGc.stdout.trim()).toBe('true');
  expect(releaseIn([]).stdout.trim()).toBe('false');
});
