// Session tickets through a reboot (issue #20), opt-in: saveTickets() writes the live tickets of a store
// (the one every connection shares, by default) to the SDK's Preference, loadTickets() takes them back at the
// next boot, so a device that wakes, fetches and sleeps again resumes instead of making a full handshake
// each time. The app decides when: writes wear flash (NVS on an ESP32), so call saveTickets() before a
// deep sleep or a restart, not after every request.
//
// Bounded: one value of at most `maxBytes` (default 2048; ESP32 NVS takes up to 4000, and its partition can
// be as small as 4 KB). What it holds includes each ticket's PSK, a secret: nothing here traces it, and on an
// ESP32 without flash encryption it lies in the clear in flash (docs/security.md). A ticket is never kept
// from a connection that did not verify its server, and is resumed only under the same TLS settings.
// Not preloaded (modules/tls/manifest.json): on lin the SDK's Preference reads its file when loaded.
import Preference from "preference";
import { sharedTicketStore, type TicketStore } from "tls/tls13/tickets";

export interface SavedTicketOptions {
  /** The store; default the one connections share. */
  store?: TicketStore;
  /** The Preference domain (ESP32: at most 15 characters). Default "tls13". */
  domain?: string;
  /** The most bytes written. Default 2048. */
  maxBytes?: number;
}

const KEY = "tickets";

/** Writes the store's live tickets (what fits in maxBytes); none: the saved value is deleted. Returns the bytes written. */
export function saveTickets(options: SavedTicketOptions = {}): number {
  const store = options.store ?? sharedTicketStore();
  const domain = options.domain ?? "tls13";
  const bytes = store.serialize(options.maxBytes ?? 2048);
  if (bytes.length <= 2) { // no origin
    forgetSavedTickets(domain);
    return 0;
  }
  Preference.set(domain, KEY, bytes.buffer as ArrayBuffer);
  return bytes.length;
}

/**
 * Takes the saved tickets back into the store (those still live by Date.now(): set the clock first, as for
 * verification). Returns the tickets read back; 0 when none was saved or the value is not ours.
 */
export function loadTickets(options: SavedTicketOptions = {}): number {
  const saved = Preference.get(options.domain ?? "tls13", KEY);
  if (!(saved instanceof ArrayBuffer))
    return 0;
  return (options.store ?? sharedTicketStore()).restore(new Uint8Array(saved));
}

/** Deletes the saved tickets. */
export function forgetSavedTickets(domain = "tls13"): void {
  Preference.delete(domain, KEY);
}
