// The host stand-ins the TLS 1.3 client needs (crypt's BlockCipher, hmac, gcm, curve, rng) against node:crypto,
// including the argument types the SDK's native code refuses; and the key schedule's first steps against
// RFC 8448's trace.
import assert from "node:assert/strict";
import { createCipheriv, createECDH, createHmac, randomBytes } from "node:crypto";
import { BlockCipher, Digest } from "../../host/sdk/crypt.js";
import HMAC from "../../host/sdk/hmac.js";
import GCM from "../../host/sdk/gcm.js";
import Curve from "../../host/sdk/curve.js";
import RNG from "../../host/sdk/rng.js";
import { deriveSecret, expandLabel, hash, hkdfExtract } from "../../modules/tls/tls13/key-schedule.js";
import { onCurve } from "../../modules/tls/tls13/key-share.js";

const hex = (data: ArrayBuffer | Uint8Array) => Buffer.from(data instanceof Uint8Array ? data : new Uint8Array(data)).toString("hex");
const arrayBuffer = (data: Uint8Array) => data.slice().buffer as ArrayBuffer;

describe("host crypto for TLS 1.3", () => {
  it("Digest.close(true) gives the hash so far and goes on hashing", () => {
    const digest = new Digest("SHA256");
    digest.write("abc");
    const partial = digest.close(true);
    digest.write("def");
    assert.equal(hex(partial), hex(new Digest("SHA256").process("abc")));
    assert.equal(hex(digest.close()), hex(new Digest("SHA256").process("abcdef")));
    assert.equal(new Digest("SHA384").blockSize, 128);
    assert.equal(new Digest("SHA256").outputSize, 32);
  });

  it("HMAC matches node:crypto for short and long keys (RFC 4231 case 2 and a key over the block size)", () => {
    assert.equal(hex(new HMAC(new Digest("SHA256"), Buffer.from("Jefe")).process(Buffer.from("what do ya want for nothing?"))),
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    const key = randomBytes(200), data = randomBytes(77);
    assert.equal(hex(new HMAC(new Digest("SHA384"), key).process(data)), createHmac("sha384", key).update(data).digest("hex"));
  });

  it("GCM seals as node:crypto does and opens only what authenticates", () => {
    const key = randomBytes(16), iv = randomBytes(12), aad = randomBytes(5), plain = randomBytes(100);
    const gcm = new GCM(new BlockCipher("AES", arrayBuffer(key)));
    const sealed = new Uint8Array(gcm.process(plain, null, arrayBuffer(iv), arrayBuffer(aad), true) as ArrayBuffer);
    const cipher = createCipheriv("aes-128-gcm", key, iv);
    cipher.setAAD(aad);
    assert.equal(hex(sealed), hex(Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()])));
    assert.equal(hex(gcm.process(sealed, null, arrayBuffer(iv), arrayBuffer(aad), false) as ArrayBuffer), hex(plain));
    sealed[3] ^= 1;
    assert.equal(gcm.process(sealed, null, arrayBuffer(iv), arrayBuffer(aad), false), undefined);
  });

  it("refuses the argument types the SDK's native code refuses (a view for a key, an iv or an aad)", () => {
    assert.throws(() => new BlockCipher("AES", new Uint8Array(16) as unknown as ArrayBuffer), /not an ArrayBuffer/);
    const gcm = new GCM(new BlockCipher("AES", new ArrayBuffer(32)));
    assert.throws(() => gcm.process(new Uint8Array(4), null, new Uint8Array(12) as unknown as ArrayBuffer, new ArrayBuffer(0), true), /not an ArrayBuffer/);
    assert.throws(() => new Curve("secp256r1").dh(new Uint8Array(32) as unknown as ArrayBuffer), /not an ArrayBuffer/);
  });

  it("Curve.dh agrees with node:crypto ECDH on P-256 and P-384", () => {
    for (const [name, node] of [["secp256r1", "prime256v1"], ["secp384r1", "secp384r1"]] as const) {
      const curve = new Curve(name);
      const peer = createECDH(node);
      const peerPublic = peer.generateKeys();
      const ours = createECDH(node);
      ours.generateKeys();
      const x = arrayBuffer(ours.getPrivateKey());
      assert.equal(hex(curve.dh(x)!), hex(ours.getPublicKey()), `${name}: x·G`);
      assert.equal(hex(curve.Z(curve.dh(x, arrayBuffer(peerPublic))!)), hex(ours.computeSecret(peerPublic)), `${name}: shared secret`);
      assert.ok(onCurve(name === "secp256r1" ? 0x17 : 0x18, ours.getPublicKey()));
    }
  });

  it("RNG.get gives fresh bytes of the length asked", () => {
    const a = new Uint8Array(RNG.get(32)), b = new Uint8Array(RNG.get(32));
    assert.equal(a.length, 32);
    assert.notEqual(hex(a), hex(b));
  });

  it("the key schedule's early secret and first derived secret are RFC 8448's (no PSK, SHA-256)", () => {
    const early = hkdfExtract("SHA256", new Uint8Array(0), new Uint8Array(32));
    assert.equal(hex(early), "33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a");
    assert.equal(hex(deriveSecret("SHA256", early, "derived", hash("SHA256"))), "6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba");
    assert.equal(expandLabel("SHA256", early, "key", new Uint8Array(0), 16).length, 16);
  });
});
