/**
 * Google Workspace domains and their users, as far as the token endpoint needs them: who exists
 * and who is suspended. An address in a domain nobody declared is taken as an existing user (the
 * emulator's behaviour before domains existed), so tests that never declare a domain are unchanged.
 */
import { invalidField, notFound } from './errors.ts';

export type UserStatus = 'active' | 'suspended';

/** What the token endpoint learns about a `sub`. */
export type Lookup = 'active' | 'suspended' | 'unknown' | 'undeclaredDomain' | 'malformed';

export interface DomainSnapshot {
  domain: string;
  users: { email: string; suspended: boolean }[];
}

export function domainOf(email: string): string | undefined {
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) return undefined;
  return email.slice(at + 1).toLowerCase();
}

export class Directory {
  private domains = new Map<string, Map<string, UserStatus>>();

  /**
   * @param onUsersGone called when users stop being able to sign in (suspended, removed, or their
   *   domain removed), so the tokens issued for them can be revoked.
   */
  constructor(private readonly onUsersGone: (emails: string[]) => void) {}

  /** Declares a domain (or adds users to a declared one). Users must be addresses in that domain. */
  addDomain(domain: string, users: string[] = []): void {
    const name = checkedDomain(domain);
    let members = this.domains.get(name);
    if (!members) {
      members = new Map();
      this.domains.set(name, members);
    }
    for (const email of users) members.set(this.checkedMember(email, name), 'active');
  }

  removeDomain(domain: string): void {
    const name = checkedDomain(domain);
    const members = this.domains.get(name);
    if (!members) throw notFound();
    this.domains.delete(name);
    this.onUsersGone([...members.keys()]);
  }

  addUser(email: string): void {
    const name = this.declaredDomainOf(email);
    this.domains.get(name)!.set(this.checkedMember(email, name), 'active');
  }

  suspendUser(email: string): void {
    this.setStatus(email, 'suspended');
    this.onUsersGone([email.toLowerCase()]);
  }

  reactivateUser(email: string): void {
    this.setStatus(email, 'active');
  }

  removeUser(email: string): void {
    const members = this.domains.get(this.declaredDomainOf(email))!;
    const key = email.toLowerCase();
    if (!members.delete(key)) throw notFound();
    this.onUsersGone([key]);
  }

  lookup(email: string): Lookup {
    const name = domainOf(email);
    if (name === undefined) return 'malformed';
    const members = this.domains.get(name);
    if (!members) return 'undeclaredDomain';
    return members.get(email.toLowerCase()) ?? 'unknown';
  }

  snapshot(): DomainSnapshot[] {
    return [...this.domains].map(([domain, members]) => ({
      domain,
      users: [...members].map(([email, status]) => ({ email, suspended: status === 'suspended' })),
    }));
  }

  private setStatus(email: string, status: UserStatus): void {
    const members = this.domains.get(this.declaredDomainOf(email))!;
    const key = email.toLowerCase();
    if (!members.has(key)) throw notFound();
    members.set(key, status);
  }

  private declaredDomainOf(email: string): string {
    if (typeof email !== 'string') throw invalidField('email must be a string.');
    const name = domainOf(email);
    if (name === undefined) throw invalidField(`'${email}' is not an email address.`);
    if (!this.domains.has(name)) throw invalidField(`Domain '${name}' is not declared; declare it with addDomain first.`);
    return name;
  }

  private checkedMember(email: string, domain: string): string {
    if (typeof email !== 'string' || domainOf(email) !== domain) throw invalidField(`'${String(email)}' is not an address in ${domain}.`);
    return email.toLowerCase();
  }
}

function checkedDomain(domain: string): string {
  if (typeof domain !== 'string' || !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(domain)) throw invalidField(`'${String(domain)}' is not a domain name.`);
  return domain.toLowerCase();
}
