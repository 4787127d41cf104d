// Throwaway certificates for the TLS tests, made with the `openssl` command
// line in a directory of the caller's: two unrelated CAs, a server
// certificate for `localhost` (and 127.0.0.1) and a client certificate, all
// from the first CA, valid for a day. EC P-256 keys: quick to make.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";

export interface TestCertificates {
  caFile: string;
  /** A CA that signed nothing here: trusting only it must fail. */
  otherCaFile: string;
  /** Its key: with otherCaFile, a client certificate the broker must refuse. */
  otherCaKeyFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
}

/** Whether `openssl` runs here (the TLS tests skip otherwise). */
export function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export function makeTestCertificates(directory: string): TestCertificates {
  const file = (name: string): string => path.join(directory, name);
  makeCa(file("ca"), "pbkv test CA");
  makeCa(file("other-ca"), "pbkv other test CA");
  const serverExtensions = "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n";
  makeLeaf(file("server"), "localhost", serverExtensions, file("ca"));
  makeLeaf(file("client"), "pbkv-test-client", "extendedKeyUsage=clientAuth\n", file("ca"));
  return {
    caFile: file("ca.pem"),
    otherCaFile: file("other-ca.pem"),
    otherCaKeyFile: file("other-ca.key"),
    serverCertFile: file("server.pem"),
    serverKeyFile: file("server.key"),
    clientCertFile: file("client.pem"),
    clientKeyFile: file("client.key"),
  };
}

const keyOptions = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

function openssl(args: string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}

/** `<base>.pem` and `<base>.key`: a self-signed CA. */
function makeCa(base: string, name: string): void {
  openssl([
    "req",
    "-x509",
    ...keyOptions,
    "-keyout",
    `${base}.key`,
    "-out",
    `${base}.pem`,
    "-days",
    "1",
    "-subj",
    `/CN=${name}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
}

/** `<base>.pem` and `<base>.key`: a certificate for `name` signed by the CA at `caBase`. */
function makeLeaf(base: string, name: string, extensions: string, caBase: string): void {
  openssl(["req", ...keyOptions, "-keyout", `${base}.key`, "-out", `${base}.csr`, "-subj", `/CN=${name}`]);
  writeFileSync(`${base}.ext`, `basicConstraints=CA:FALSE\n${extensions}`);
  openssl([
    "x509",
    "-req",
    "-in",
    `${base}.csr`,
    "-CA",
    `${caBase}.pem`,
    "-CAkey",
    `${caBase}.key`,
    "-CAcreateserial",
    "-out",
    `${base}.pem`,
    "-days",
    "1",
    "-extfile",
    `${base}.ext`,
  ]);
}
