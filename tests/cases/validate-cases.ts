// tls/validate on its own: chains from resources in orders a socket cannot show (Node links the chain
// before our host runtime sees it), the name rules, and the clock. Both lanes: on the simulator the
// signatures are checked by the SDK's crypto, on Node by the host runtime's.
import { loadPemCertificates } from "tls/certificates";
import { ipBytes, matchesDnsName, TlsError, validateServerChain, type ValidationOptions } from "tls/validate";
import { describeName } from "tls/der";
import { verifySignature } from "tls/signature";
import Resource from "Resource";
import X509 from "x509";
import PKCS1_5 from "pkcs1_5";
import { Digest } from "crypt";
import TextEncoder from "text/encoder";
import { assert, equal, equalBytes, type TestCase } from "./harness";

function options(extra: Partial<ValidationOptions> = {}): ValidationOptions {
  return { anchors: loadPemCertificates("fixture-ca.pem"), serverName: "localhost", now: Date.now(), notBefore: 0, ...extra };
}

function refused(work: () => unknown, code: string): TlsError {
  try {
    work();
  }
  catch (error) {
    assert(error instanceof TlsError, `expected TlsError ${code}, got ${String(error)}`);
    equal(error.code, code, `code (${error.message})`);
    return error;
  }
  throw new Error(`expected ${code}, but it validated`);
}

export const validateCases: TestCase[] = [
  {
    name: "tls/validate: a shuffled chain with an unrelated root among it builds leaf → B → A → root",
    async run() {
      const path = validateServerChain(loadPemCertificates("zoo-chain-shuffled.pem"), options());
      equal(path.map((c) => describeName(c.subject)).join(" < "), "localhost (long chain) < netkit chain B < netkit chain A < netkit test root", "path");
    },
  },
  {
    name: "tls/validate: a copy of the trusted root sent before the intermediates is used as the anchor, not as a chain certificate",
    async run() {
      const path = validateServerChain(loadPemCertificates("zoo-chain-reversed.pem"), options());
      equal(path.length, 4, "path length");
    },
  },
  {
    name: "tls/validate: a device clock before the build time is ERR_CLOCK_NOT_SET, before any date check",
    async run() {
      const error = refused(() => validateServerChain(loadPemCertificates("zoo-chain-valid.pem"), options({ now: 0, notBefore: Date.now() })), "ERR_CLOCK_NOT_SET");
      assert(error.message.includes("set the clock"), error.message);
    },
  },
  {
    name: "tls/validate: the same valid chain checked a year and a day later is ERR_TLS_EXPIRED",
    async run() {
      refused(() => validateServerChain(loadPemCertificates("zoo-chain-valid.pem"), options({ now: Date.now() + 366 * 86400000 })), "ERR_TLS_EXPIRED");
    },
  },
  {
    name: "tls/validate: names are matched case-insensitively, with or without a trailing dot",
    async run() {
      validateServerChain(loadPemCertificates("zoo-chain-wildcard.pem"), options({ serverName: "A.Example.TEST." }));
    },
  },
  {
    name: "tls/validate: an IPv6 literal written out in full matches the SAN ::1",
    async run() {
      validateServerChain(loadPemCertificates("zoo-chain-ipv6.pem"), options({ serverName: "0:0:0:0:0:0:0:1" }));
      refused(() => validateServerChain(loadPemCertificates("zoo-chain-ipv6.pem"), options({ serverName: "localhost" })), "ERR_TLS_HOSTNAME");
    },
  },
  {
    name: "tls/validate: RFC 6125 wildcard rules (left-most label only, whole label, not over a public suffix)",
    async run() {
      const table: [string, string, boolean][] = [
        ["*.example.com", "a.example.com", true],
        ["*.example.com", "a.b.example.com", false],
        ["*.example.com", "example.com", false],
        ["f*.example.com", "foo.example.com", false],
        ["*oo.example.com", "foo.example.com", false],
        ["a.*.example.com", "a.b.example.com", false],
        ["*.*.example.com", "a.b.example.com", false],
        ["*.com", "example.com", false],
        ["www.example.com", "WWW.EXAMPLE.COM", true],
        ["www.example.com", "www.example.com.", true],
        ["www.example.com", "wwwxexample.com", false],
      ];
      for (const [pattern, host, expected] of table)
        equal(matchesDnsName(pattern, host), expected, `${pattern} for ${host}`);
    },
  },
  {
    name: "tls/validate: IP literals (v4, v6 with ::, embedded v4, brackets) and what is not one",
    async run() {
      equalBytes(ipBytes("127.0.0.1")!, [127, 0, 0, 1], "127.0.0.1");
      equalBytes(ipBytes("::1")!, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], "::1");
      equalBytes(ipBytes("[2001:db8::1]")!, [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], "[2001:db8::1]");
      equalBytes(ipBytes("::ffff:192.0.2.1")!, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1], "::ffff:192.0.2.1");
      for (const name of ["example.com", "256.1.1.1", "1::2::3", "1:2:3:4:5:6:7", "1.2.3"])
        equal(ipBytes(name), undefined, name);
    },
  },
  {
    name: "tls/validate: when the first issuer whose signature verifies leads to no trusted root, the search backtracks to the one that does",
    async run() {
      const spent = { signatures: 0, candidates: 0 };
      const path = validateServerChain(loadPemCertificates("zoo-chain-backtrack.pem"), options({ spent }));
      equal(path.map((c) => describeName(c.subject)).join(" < "), "localhost < netkit test intermediate < netkit test root", "path");
      equal(path[1].issuer.length, path[2].subject.length, "the intermediate on the path is the one the trusted root issued");
      equal(spent.signatures, 3, "signature checks: the leaf by each copy of the intermediate, the genuine copy by the root");
    },
  },
  {
    name: "tls/validate: a name-constrained CA's leaf inside its permitted subtree validates; one in its excluded subtree is ERR_TLS_UNTRUSTED naming the constraint",
    async run() {
      validateServerChain(loadPemCertificates("zoo-chain-constrained.pem"), options({ serverName: "a.localhost" }));
      const error = refused(() => validateServerChain(loadPemCertificates("zoo-chain-excluded.pem"), options({ serverName: "bad.localhost" })), "ERR_TLS_UNTRUSTED");
      assert(error.message.includes("exclude \"bad.localhost\""), error.message);
    },
  },
  {
    name: "tls/validate: a root encoded before today's profile (basicConstraints not critical) is trusted from the SDK's CA store, refused when the application configures it",
    async run() {
      const chain = loadPemCertificates("zoo-chain-legacy.pem");
      const root = loadPemCertificates("zoo-legacy-root.pem");
      const path = validateServerChain(chain, options({ anchors: [], storeAnchors: root }));
      equal(path.length, 2, "path length");
      const error = refused(() => validateServerChain(chain, options({ anchors: root })), "ERR_TLS_UNTRUSTED");
      assert(error.message.includes("basicConstraints critical"), error.message);
    },
  },
  {
    name: "tls/validate: a CA whose keyUsage lacks keyCertSign cannot issue: ERR_TLS_UNTRUSTED",
    async run() {
      const error = refused(() => validateServerChain(loadPemCertificates("zoo-chain-no-certsign.pem"), options()), "ERR_TLS_UNTRUSTED");
      assert(error.message.includes("keyCertSign"), error.message);
    },
  },
  {
    name: "tls/validate: a critical extension the validator does not know is refused: ERR_TLS_UNTRUSTED",
    async run() {
      const error = refused(() => validateServerChain(loadPemCertificates("zoo-chain-critical.pem"), options()), "ERR_TLS_UNTRUSTED");
      assert(error.message.includes("1.3.6.1.4.1.55555.1"), error.message);
    },
  },
  {
    name: "tls/signature: a Bleichenbacher forgery for an e=3 RSA key is refused (the SDK's PKCS1_5.verify accepts it)",
    async run() {
      const signer = new Uint8Array(loadPemCertificates("zoo-e3.pem")[0]);
      const message = new TextEncoder().encode("netkit e=3 signature");
      const genuine = new Uint8Array(new Resource("zoo-e3-genuine.bin").slice(0));
      const forged = new Uint8Array(new Resource("zoo-e3-forged.bin").slice(0));
      assert(verifySignature(signer, "rsa", "SHA256", message, genuine), "the genuine signature verifies");
      assert(!verifySignature(signer, "rsa", "SHA256", message, forged), "the forged signature is refused");
      const digest = new Digest("SHA256");
      digest.write(message.buffer as ArrayBuffer);
      const lax = new PKCS1_5(X509.decodeSPKI(signer), false, []) as unknown as { verify(h: ArrayBuffer, s: Uint8Array): boolean };
      assert(lax.verify(digest.close(), forged), "the SDK's own check accepts the forgery (what we replaced)");
    },
  },
  {
    name: "tls/validate: no certificate, or bytes that are not one, is ERR_TLS_HANDSHAKE",
    async run() {
      refused(() => validateServerChain([], options()), "ERR_TLS_HANDSHAKE");
      const error = refused(() => validateServerChain([new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])], options()), "ERR_TLS_HANDSHAKE");
      assert(error.message.includes("not a valid certificate"), error.message);
    },
  },
];
