import type { Mode } from './report.ts';

/** How big each scenario is in a mode; `quick` is CI-sized (the whole run well under two minutes on 2 cores). */
export interface Sizes {
  listRows: number;
  listSeconds: number;
  /** The saturated list loads run as this many alternating rounds (tRPC, raw SQL, tRPC, ...). */
  listRounds: number;
  /** How long the machine's own stalls are measured (a spinning thread on the idle machine). */
  hiccupSeconds: number;
  syncEvents: number;
  samples: number;
  stormEdits: number;
  /** Weekly series over two years in the recurring calendar (~104 occurrences each). */
  recurringSeries: number;
}

export const SIZES: Record<Mode, Sizes> = {
  full: { listRows: 1_000_000, listSeconds: 12, listRounds: 4, hiccupSeconds: 10, syncEvents: 100_000, samples: 50, stormEdits: 1000, recurringSeries: 200 },
  quick: { listRows: 100_000, listSeconds: 4, listRounds: 2, hiccupSeconds: 3, syncEvents: 20_000, samples: 20, stormEdits: 1000, recurringSeries: 20 },
};
