// The id helpers live in the kit; the registry's modules import them from here with the cursor constant.
export { compareStreamIds, isStreamId } from '@chat/redis-kit';

/** The smallest stream id: "from the beginning" as a cursor. */
export const ZERO_ID = '0-0';
