// Session tickets (RFC 8446 4.6.1) kept per origin for PSK resumption (psk_dhe_ke), bounded: a few origins,
// a few tickets each, tickets of bounded size. A ticket is used once (RFC 8446 C.4) and dropped when its
// lifetime is over. Held in RAM only; nothing here traces (a ticket's PSK is a secret).
import type { HashName } from "tls/tls13/key-schedule";

export interface Ticket {
  /** The opaque ticket, sent back as the PSK identity. */
  ticket: Uint8Array;
  /** The resumption PSK derived from the connection's resumption_master_secret and the ticket nonce. */
  psk: Uint8Array;
  /** The hash of the cipher suite it was issued under: only a suite with that hash may resume it. */
  hash: HashName;
  ageAdd: number;
  /** Date.now() when received. */
  received: number;
  /** Seconds, at most 7 days. */
  lifetime: number;
}

export interface TicketStoreOptions {
  /** Origins remembered (least recently used dropped first). Default 4. */
  origins?: number;
  /** Tickets kept per origin (oldest dropped first). Default 2. */
  perOrigin?: number;
  /** Tickets larger than this are not kept. Default 1024 bytes. */
  maxTicketBytes?: number;
}

const WEEK = 604800;

export class TicketStore {
  readonly #origins: number;
  readonly #perOrigin: number;
  readonly #maxTicketBytes: number;
  #byOrigin: Map<string, Ticket[]> | undefined; // made on first use: a Map made while preloaded would be frozen

  constructor(options: TicketStoreOptions = {}) {
    this.#origins = Math.max(1, options.origins ?? 4);
    this.#perOrigin = Math.max(1, options.perOrigin ?? 2);
    this.#maxTicketBytes = options.maxTicketBytes ?? 1024;
  }

  /** Keeps a ticket for `origin`; too large or lifetime 0: ignored. */
  add(origin: string, ticket: Ticket): void {
    if (ticket.ticket.length > this.#maxTicketBytes || ticket.lifetime === 0)
      return;
    ticket.lifetime = Math.min(ticket.lifetime, WEEK);
    const map = this.#byOrigin ??= new Map();
    const list = map.get(origin) ?? [];
    map.delete(origin); // re-inserted last: most recently used
    list.push(ticket);
    while (list.length > this.#perOrigin)
      list.shift();
    map.set(origin, list);
    for (const oldest of map.keys()) {
      if (map.size <= this.#origins)
        break;
      map.delete(oldest);
    }
  }

  /** The newest live ticket of `origin`, removed from the store (single use); undefined when none. */
  take(origin: string, now = Date.now()): Ticket | undefined {
    const list = this.#byOrigin?.get(origin);
    while (list?.length) {
      const ticket = list.pop()!;
      const age = now - ticket.received;
      if (age >= 0 && age < ticket.lifetime * 1000)
        return ticket;
    }
    return undefined;
  }

  /** Forgets the tickets of `origin`, or all. */
  clear(origin?: string): void {
    if (origin === undefined)
      this.#byOrigin = undefined;
    else
      this.#byOrigin?.delete(origin);
  }

  /** Tickets held, all origins together. */
  get size(): number {
    let count = 0;
    for (const list of this.#byOrigin?.values() ?? [])
      count += list.length;
    return count;
  }
}

let shared: TicketStore | undefined;

/** The store connections use unless their options name another (or false). */
export function sharedTicketStore(): TicketStore {
  return shared ??= new TicketStore();
}

/** obfuscated_ticket_age (RFC 8446 4.2.11.1): ms since receipt plus ageAdd, mod 2^32. */
export function obfuscatedAge(ticket: Ticket, now = Date.now()): number {
  return ((now - ticket.received) + ticket.ageAdd) % 0x100000000;
}
