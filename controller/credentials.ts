// The operator credential file: what the CLI needs to reach a controller and
// prove who it is. The controller writes one for its first admin.
export interface CredentialFile {
  controller: string;
  name: string;
  role: string;
  token: string;
  caCertPem: string;
  caFingerprint: string;
}

export const ADMIN_CREDENTIALS_FILE = 'admin.credentials.json';
