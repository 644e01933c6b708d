// The host stand-ins for the SDK's crypt, x509, pkcs1, pkcs1_5 and ecdsa modules, against node:crypto:
// digests, SPKI extraction from certificates, and RSA PKCS#1 v1.5 and ECDSA verification of
// signatures node:crypto makes.
import assert from "node:assert/strict";
import { createHash, randomBytes, sign, KeyObject, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { issue, type Issued } from "../../tools/pki.js";
import crypt, { Digest } from "../../host/sdk/crypt.js";
import X509 from "../../host/sdk/x509.js";
import PKCS1 from "../../host/sdk/pkcs1.js";
import PKCS1_5 from "../../host/sdk/pkcs1_5.js";
import ECDSA, { P256, P384, type Curve } from "../../host/sdk/ecdsa.js";

const SHA256 = [2, 16, 840, 1, 101, 3, 4, 2, 1];
const SHA384 = [2, 16, 840, 1, 101, 3, 4, 2, 2];

const hash = (algorithm: string, data: Uint8Array): ArrayBuffer => new Uint8Array(createHash(algorithm).update(data).digest()).buffer;
const buffer = (data: ArrayBuffer): Buffer => Buffer.from(data);
/** A copy of `data` with one bit flipped at `index`. */
function flip(data: ArrayBuffer | Uint8Array, index: number): ArrayBuffer {
  const copy = new Uint8Array(data.slice(0));
  copy[index]! ^= 0x01;
  return copy.buffer;
}

/** A self-signed ECDSA certificate on the named curve (P-256, P-384, P-521). */
async function ecCertificate(namedCurve: string): Promise<{ der: Uint8Array; privateKey: KeyObject }> {
  const algorithm = { name: "ECDSA", namedCurve, hash: namedCurve === "P-384" ? "SHA-384" : "SHA-256" };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]) as CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: `CN=host crypto ${namedCurve}`,
    notBefore: new Date(Date.now() - 86400000),
    notAfter: new Date(Date.now() + 86400000),
    signingAlgorithm: algorithm,
    keys,
  });
  return { der: new Uint8Array(certificate.rawData), privateKey: KeyObject.from(keys.privateKey) };
}

describe("host crypto modules", function () {
  describe("crypt Digest", function () {
    const names = { MD5: "md5", SHA1: "sha1", SHA224: "sha224", SHA256: "sha256", SHA384: "sha384", SHA512: "sha512" } as const;
    const backing = Uint8Array.from([9, 9, 1, 2, 3, 4, 9]);
    const parts = ["héllo ", backing.subarray(2, 6), new Uint8Array([5, 6]).buffer, new DataView(backing.buffer, 6, 1)];
    const expected = (algorithm: string): Buffer =>
      createHash(algorithm).update("héllo ", "utf8").update(Uint8Array.from([1, 2, 3, 4, 5, 6, 9])).digest();

    for (const [name, algorithm] of Object.entries(names)) {
      it(`${name} matches createHash for strings, views and buffers`, function () {
        const digest = new Digest(name as keyof typeof names);
        digest.write(parts[0]!);
        digest.write(...parts.slice(1));
        const result = digest.close();
        assert.ok(result instanceof ArrayBuffer);
        assert.deepEqual(buffer(result), expected(algorithm));
        assert.deepEqual(buffer(digest.process(...parts)), expected(algorithm));
        digest.reset();
        assert.deepEqual(buffer(digest.close()), createHash(algorithm).digest());
      });
    }

    it("is also on the default export; unknown names throw; writing after close throws", function () {
      assert.equal(crypt.Digest, Digest);
      assert.throws(() => new Digest("SHA3" as "SHA1"), /unsupported digest/);
      assert.throws(() => new Digest("constructor" as "SHA1"), /unsupported digest/);
      const digest = new Digest("SHA256");
      digest.close();
      assert.throws(() => digest.write("x"), /after close/);
    });
  });

  describe("pkcs1", function () {
    it("OS2IP and I2OSP convert big-endian unsigned octets", function () {
      assert.equal(PKCS1.OS2IP(Uint8Array.from([7, 0x01, 0x00, 0xff]).subarray(1)), 0x0100ffn);
      assert.equal(PKCS1.OS2IP(new ArrayBuffer(0)), 0n);
      assert.deepEqual([...new Uint8Array(PKCS1.I2OSP(0x0100ffn, 5))], [0, 0, 1, 0, 0xff]);
      assert.deepEqual([...new Uint8Array(PKCS1.I2OSP(0n, 0))], [0]);
      assert.deepEqual([...new Uint8Array(PKCS1.I2OSP(0x0100ffn, 2))], [1, 0, 0xff]);     // never truncated, as the SDK
      const random = randomBytes(256);
      random[0] |= 0x80;
      assert.deepEqual(buffer(PKCS1.I2OSP(PKCS1.OS2IP(random), 256)), random);
    });
  });

  describe("RSA: x509 decodeSPKI and pkcs1_5", function () {
    let issued: Issued;
    let privateKey: KeyObject;
    let key: { modulus: bigint; exponent: bigint };

    before(async function () {
      issued = await issue({ subject: "CN=host crypto rsa" });
      privateKey = KeyObject.from(issued.keys.privateKey);
      const spki = X509.decodeSPKI(issued.der) as { modulus: bigint; exponent: bigint; algo: Uint32Array };
      key = spki;
      assert.deepEqual([...spki.algo], [1, 2, 840, 113549, 1, 1, 1]);
    });

    it("gives the certificate's modulus and exponent, from an ArrayBuffer or a Uint8Array", function () {
      const jwk = KeyObject.from(issued.keys.publicKey).export({ format: "jwk" });
      assert.equal(key.modulus, BigInt("0x" + Buffer.from(jwk.n!, "base64url").toString("hex")));
      assert.equal(key.exponent, 65537n);
      assert.equal(key.modulus.toString(2).length, 2048);
      const copy = new Uint8Array(issued.der.length + 3);
      copy.set(issued.der, 3);
      assert.equal((X509.decodeSPKI(copy.subarray(3)) as typeof key).modulus, key.modulus);
      assert.equal((X509.decodeSPKI(issued.der.slice().buffer) as typeof key).modulus, key.modulus);
      assert.throws(() => X509.decodeSPKI(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])), /x509/);
    });

    for (const [algorithm, oid] of [["sha256", SHA256], ["sha384", SHA384]] as const) {
      it(`verifies RSA-2048 with ${algorithm}, and rejects a tampered signature or hash`, function () {
        const data = randomBytes(100);
        const H = hash(algorithm, data);
        const sig = new Uint8Array(sign(algorithm, data, privateKey)).buffer;
        const pkcs = new PKCS1_5(key, false, oid);
        assert.equal(pkcs.modulusSize, 256);
        assert.equal(pkcs.rsa.modulusSize, 256);
        assert.equal(pkcs.verify(H, sig), true);
        assert.equal(pkcs.verify(new Uint8Array(H), new Uint8Array(sig)), true);
        assert.equal(pkcs.rsa.process(PKCS1.OS2IP(sig)), pkcs.emsaEncode(H, pkcs.modulusSize - 1));

        assert.equal(pkcs.verify(H, flip(sig, 100)), false);
        assert.equal(pkcs.verify(H, flip(sig, 255)), false);
        assert.equal(pkcs.verify(flip(H, 0), sig), false);
        assert.equal(pkcs.verify(H.slice(0, 20), sig), false);
        assert.notEqual(pkcs.rsa.process(PKCS1.OS2IP(flip(sig, 7))), pkcs.emsaEncode(H, pkcs.modulusSize - 1));
        // Without the OID, the DigestInfo is not recognised: the decoded T is the whole DigestInfo.
        assert.equal(new PKCS1_5(key, false).verify(H, sig), false);
      });
    }

    it("emsaEncode lays out 01 FF… 00 DigestInfo, or 01 FF… 00 H without an OID", function () {
      const H = hash("sha256", Buffer.from("abc"));
      const digestInfo = Buffer.concat([Buffer.from("3031300d060960864801650304020105000420", "hex"), buffer(H)]);
      const encoded = (value: bigint): Buffer => buffer(PKCS1.I2OSP(value, 100));
      const withOid = encoded(new PKCS1_5(key, false, SHA256).emsaEncode(H, 100));
      assert.deepEqual(withOid, Buffer.concat([Buffer.from([0x01]), Buffer.alloc(100 - 51 - 2, 0xff), Buffer.from([0]), digestInfo]));
      const bare = encoded(new PKCS1_5(key, false).emsaEncode(H, 100));
      assert.deepEqual(bare, Buffer.concat([Buffer.from([0x01]), Buffer.alloc(100 - 32 - 2, 0xff), Buffer.from([0]), buffer(H)]));
      assert.throws(() => new PKCS1_5(key, true as false), /verifies only/);
    });
  });

  describe("EC: x509 decodeSPKI and ecdsa", function () {
    const cases: [string, Curve, string, number][] = [["P-256", P256, "sha256", 32], ["P-384", P384, "sha384", 48]];
    for (const [namedCurve, curve, algorithm, size] of cases) {
      it(`${namedCurve} with ${algorithm}: valid signatures verify raw and DER; tampering, r = 0 and r = n fail`, async function () {
        const { der, privateKey } = await ecCertificate(namedCurve);
        const spki = X509.decodeSPKI(der) as { curve: Curve; pub: { x: bigint; y: bigint }; algo: Uint32Array };
        assert.equal(spki.curve, curve);
        assert.deepEqual([...spki.algo], [1, 2, 840, 10045, 2, 1]);
        const jwk = privateKey.export({ format: "jwk" });
        assert.equal(spki.pub.x, BigInt("0x" + Buffer.from(jwk.x!, "base64url").toString("hex")));
        assert.equal(spki.pub.y, BigInt("0x" + Buffer.from(jwk.y!, "base64url").toString("hex")));

        const ecdsa = new ECDSA(spki.pub, spki.curve);
        for (let round = 0; round < 3; round++) {
          const data = randomBytes(64);
          const H = hash(algorithm, data);
          const raw = new Uint8Array(sign(algorithm, data, { key: privateKey, dsaEncoding: "ieee-p1363" })).buffer;
          const asn1 = new Uint8Array(sign(algorithm, data, privateKey)).buffer;
          assert.equal(raw.byteLength, 2 * size);
          assert.equal(ecdsa.verify(H, raw), true);
          assert.equal(ecdsa.verify(new Uint8Array(H), new Uint8Array(raw), false), true);
          assert.equal(ecdsa.verify(H, asn1, true), true);

          assert.equal(ecdsa.verify(flip(H, 5), raw), false);
          assert.equal(ecdsa.verify(H, flip(raw, 3)), false);
          assert.equal(ecdsa.verify(H, flip(raw, size + 3)), false);
          assert.equal(ecdsa.verify(flip(H, 5), asn1, true), false);
          assert.equal(ecdsa.verify(H, flip(asn1, asn1.byteLength - 1), true), false);
          assert.equal(ecdsa.verify(H, raw.slice(0, 2 * size - 1)), false);
          assert.equal(ecdsa.verify(H, asn1), false);                           // DER read as raw

          const s = new Uint8Array(raw, size);
          const zeroR = new Uint8Array(2 * size);
          zeroR.set(s, size);
          assert.equal(ecdsa.verify(H, zeroR.buffer), false);
          const nR = zeroR.slice();
          nR.set(new Uint8Array(PKCS1.I2OSP(curve.n, size)));
          assert.equal(ecdsa.verify(H, nR.buffer), false);
          const zeroS = new Uint8Array(raw.slice(0));
          zeroS.fill(0, size);
          assert.equal(ecdsa.verify(H, zeroS.buffer), false);
          const derZeroR = Uint8Array.from([0x30, 4 + s.length + 1, 0x02, 0x01, 0x00, 0x02, s.length + 1, 0x00, ...s]);
          assert.equal(ecdsa.verify(H, derZeroR, true), false);
        }
        assert.throws(() => ecdsa.verify(new ArrayBuffer(size), Uint8Array.from([0x31, 0x00]), true), /BER/);
        // Another key's signature does not verify.
        const other = await ecCertificate(namedCurve);
        const data = randomBytes(10);
        assert.equal(ecdsa.verify(hash(algorithm, data), sign(algorithm, data, { key: other.privateKey, dsaEncoding: "ieee-p1363" })), false);
      });
    }

    it("a hash longer than the order keeps its leftmost bits (P-256 with SHA-384)", async function () {
      const { der, privateKey } = await ecCertificate("P-256");
      const spki = X509.decodeSPKI(der) as { curve: Curve; pub: { x: bigint; y: bigint } };
      const data = randomBytes(64);
      const sig = sign("sha384", data, { key: privateKey, dsaEncoding: "ieee-p1363" });
      assert.equal(new ECDSA(spki.pub, spki.curve).verify(hash("sha384", data), sig), true);
    });

    it("other curves throw", async function () {
      const { der } = await ecCertificate("P-521");
      assert.throws(() => X509.decodeSPKI(der), /x509: unsupported curve/);
    });
  });
});
