import type { GoogleEvent } from '@calsync/google';
import { z } from 'zod';
import { storableText } from './google-values.ts';

/**
 * A meeting's links to CRM records. Kept on Google's event as private extended properties (only
 * this project sees them, and they survive edits and moves made in Google) and in our table, where
 * the deal and contact filters find them by index.
 */
export interface EventLinks {
  dealId: string | null;
  contactIds: string[];
  companyId: string | null;
}

export const NO_LINKS: EventLinks = Object.freeze({ dealId: null, contactIds: [], companyId: null }) as EventLinks;

/** Google's limit for one extended property value; the contact list travels as one value. */
const MAX_PROPERTY_VALUE = 1024;
export const MAX_CONTACTS = 15;
export const MAX_LINK_ID = 64;

/** The private extended property keys (Google allows 44 characters per key). */
const KEYS = { dealId: 'crmDealId', contactIds: 'crmContactIds', companyId: 'crmCompanyId' } as const;

export const linkIdInput = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(MAX_LINK_ID)
  .regex(/^[A-Za-z0-9._:-]+$/, 'may contain only letters, digits and . _ : -');

/** What a caller sends: the links replace the meeting's links (`{}` clears them). */
export const linksInput = z
  .strictObject({
    dealId: linkIdInput.nullish(),
    contactIds: z
      .array(linkIdInput)
      .max(MAX_CONTACTS)
      .transform((ids) => [...new Set(ids)])
      .optional(),
    companyId: linkIdInput.nullish(),
  })
  .transform((v): EventLinks => ({ dealId: v.dealId ?? null, contactIds: v.contactIds ?? [], companyId: v.companyId ?? null }));

/** Into Google's body: every key always sent (empty = none), so a patch replaces the links whole. */
export function linksToGoogle(links: EventLinks, body: GoogleEvent): void {
  const value = links.contactIds.join(',');
  if (value.length > MAX_PROPERTY_VALUE) throw new Error('contact ids exceed Google\'s extended property size');
  body.extendedProperties = {
    ...body.extendedProperties,
    private: { ...body.extendedProperties?.private, [KEYS.dealId]: links.dealId ?? '', [KEYS.contactIds]: value, [KEYS.companyId]: links.companyId ?? '' },
  };
}

/** From Google's event, tolerating anything a person or another version may have left there. */
export function linksFromGoogle(event: GoogleEvent): EventLinks {
  const props = event.extendedProperties?.private ?? {};
  const one = (key: string): string | null => {
    const v = props[key];
    return typeof v === 'string' && v.trim() !== '' ? storableText(v.trim()) : null;
  };
  const contacts = one(KEYS.contactIds);
  return {
    dealId: one(KEYS.dealId),
    contactIds: contacts ? [...new Set(contacts.split(',').map((c) => c.trim()).filter((c) => c !== ''))] : [],
    companyId: one(KEYS.companyId),
  };
}

/** A stored value (jsonb) as links: rows from before links existed hold `{}`. */
export function linksFromJson(stored: unknown): EventLinks {
  const v = (stored ?? {}) as Partial<EventLinks>;
  return { dealId: v.dealId ?? null, contactIds: Array.isArray(v.contactIds) ? v.contactIds : [], companyId: v.companyId ?? null };
}
