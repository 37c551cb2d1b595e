import { createPublicKey, generateKeyPair, randomBytes, randomInt } from 'node:crypto';
import { promisify } from 'node:util';

/** The fields of a Google service-account key JSON that clients read. */
export interface ServiceAccountKey {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  /** PKCS8 PEM, exactly like the file Google lets you download. */
  private_key: string;
  client_email: string;
  client_id: string;
  token_uri: string;
}

/** What the emulator needs to verify a signed assertion: no private key required. */
export interface ServiceAccountPublicKey {
  client_email: string;
  private_key_id: string;
  publicKeyPem: string;
}

export const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';

const generateKeyPairAsync = promisify(generateKeyPair);

export async function generateServiceAccountKey(opts: { clientEmail?: string } = {}): Promise<ServiceAccountKey> {
  const { privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  // A random default keeps two generated keys from silently replacing each other when registered.
  const clientEmail = opts.clientEmail ?? `emulator-${randomBytes(4).toString('hex')}@calsync-dev.iam.gserviceaccount.com`;
  return {
    type: 'service_account',
    project_id: clientEmail.split('@')[1]?.split('.')[0] ?? 'calsync-dev',
    private_key_id: randomBytes(20).toString('hex'),
    private_key: privateKey,
    client_email: clientEmail,
    client_id: String(randomInt(1e9, 1e10 - 1)) + String(randomInt(1e9, 1e10 - 1)) + String(randomInt(0, 10)),
    token_uri: GOOGLE_TOKEN_URI,
  };
}

export function toPublicKey(key: ServiceAccountPublicKey | ServiceAccountKey): ServiceAccountPublicKey {
  if ('publicKeyPem' in key) return key;
  const publicKeyPem = createPublicKey(key.private_key).export({ type: 'spki', format: 'pem' }).toString();
  return { client_email: key.client_email, private_key_id: key.private_key_id, publicKeyPem };
}
