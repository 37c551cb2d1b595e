export { createEmulator, startEmulator, type Emulator, type EmulatorOptions, type RunningEmulator } from './emulator.ts';
export { generateServiceAccountKey, type ServiceAccountKey, type ServiceAccountPublicKey } from './keys.ts';
export type { EmulatorControl, EventInput, SeedResult } from './control.ts';
export type { CancelledStub, EventResource } from './event.ts';
export type { ChannelResource, FlushOrder, NotificationStats, NotificationSwitches, PushRetryOptions } from './push.ts';
export type { ApiMethod, ApiStats, ConcurrencyStat } from './stats.ts';
export type { FaultRule } from './faults.ts';
export type { DelegationGrant, ServiceAccountOptions } from './auth.ts';
export type { DomainSnapshot } from './directory.ts';
