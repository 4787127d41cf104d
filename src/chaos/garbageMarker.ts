// Every message of the bad-input campaign carries a marker near its start, so
// that wherever it ends up (`<c>.rejected` keeps the first 64 KiB, `<c>.lost`
// keeps it whole) we can tell which one it was.

/** The marker is within this many bytes of the start of every garbage message. */
export const garbageMarkerBytesMax = 512;
const markerPattern = /GARBAGE-(\d+)-/;

export function garbageMarker(id: number): string {
  return `GARBAGE-${id}-`;
}

export function findGarbageMarker(content: Buffer): number | null {
  const head = content.subarray(0, garbageMarkerBytesMax).toString("latin1");
  const match = markerPattern.exec(head);
  return match === null ? null : Number(match[1]);
}
