import { v7 as uuidv7 } from 'uuid';

// Random bytes drawn 4 KiB at a time: one system call per 256 ids, not one per id (bulk imports make millions).
const pool = new Uint8Array(4096);
let poolOffset = pool.length;
// uuid's own monotonic state is skipped when options are given: ours keeps ids ordered within a millisecond.
const clock = { msecs: -Infinity, seq: 0 };

/** New ids are UUIDv7: time-ordered (monotonic within this process), so ordering by id is ordering by creation. */
export function newId(): string {
  if (poolOffset === pool.length) {
    crypto.getRandomValues(pool);
    poolOffset = 0;
  }
  const random = pool.subarray(poolOffset, poolOffset + 16);
  poolOffset += 16;
  const now = Date.now();
  if (now > clock.msecs) {
    clock.msecs = now;
    clock.seq = ((random[6]! & 0x7f) << 24) | (random[7]! << 16) | (random[8]! << 8) | random[9]!;
  } else {
    clock.seq = (clock.seq + 1) | 0;
    if (clock.seq === 0) clock.msecs += 1;
  }
  return uuidv7({ random, msecs: clock.msecs, seq: clock.seq });
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}
