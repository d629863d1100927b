import { hashTagOf } from './hash-tag.js';

/** Number of hash slots in a Redis Cluster. */
export const CLUSTER_SLOT_COUNT = 16_384;

const encoder = new TextEncoder();

// CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), the checksum Redis Cluster hashes keys with.
const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte += 1) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit += 1)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

/** CRC16-CCITT (XMODEM) of the UTF-8 bytes of `text`; exported so other keys can be checked against Redis. */
export function crc16(text: string): number {
  let crc = 0;
  for (const byte of encoder.encode(text)) crc = ((crc << 8) ^ TABLE[((crc >> 8) ^ byte) & 0xff]!) & 0xffff;
  return crc;
}

/**
 * The Redis Cluster hash slot of a key, as `CLUSTER KEYSLOT` computes it (the hash tag when there is one).
 * Lets code without a cluster connection check which keys share a slot, and spread partitions over slots.
 */
export function keySlot(key: string): number {
  return crc16(hashTagOf(key) ?? key) % CLUSTER_SLOT_COUNT;
}
