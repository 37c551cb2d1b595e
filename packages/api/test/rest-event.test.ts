import { toEventDTO } from '@calsync/calendar';
import { describe, expect, it } from 'vitest';
import { restEvent, toRestEvent } from '../src/rest/event.ts';

// The REST event and its OpenAPI schema are both derived from the event shape: what the routes
// send must be exactly what the document describes.
const row = {
  id: '5b8e8d52-6f0c-4c1e-9d7a-0f1f2e3d4c5b',
  google_event_id: 'evt00001',
  calendar_id: 'rep@acme.test',
  summary: 'Call',
  description: null,
  location: 'Room 4',
  start_time: '2031-05-05 08:00:00+00',
  end_time: '2031-05-05 09:00:00+00',
  time_zone: null,
  all_day: false,
  meet_link: 'https://meet.google.com/abc-defg-hij',
  html_link: null,
  status: 'confirmed',
  organizer_email: 'rep@acme.test',
  attendees: [{ email: 'buyer@acme.example', displayName: null, responseStatus: 'accepted' }],
  transparency: 'opaque',
  self_response_status: null,
  links: { dealId: 'deal-1', contactIds: ['c-1'] },
  etag: '"1"',
  created_at: '2031-01-01 00:00:00.123+00',
  updated_at: '2031-01-02 00:00:00+00',
};

describe('the REST event', () => {
  it('is what its schema describes, field for field, in snake_case with ISO times', () => {
    const rest = toRestEvent(toEventDTO(row));
    expect(restEvent.strict().parse(rest)).toEqual(rest);
    expect(Object.keys(rest)).toEqual(Object.keys(restEvent.shape));
    expect(rest).toMatchObject({
      google_event_id: 'evt00001',
      start_time: '2031-05-05T08:00:00.000Z',
      created_at: '2031-01-01T00:00:00.123Z',
      time_zone: null,
      attendees: [{ email: 'buyer@acme.example', display_name: null, response_status: 'accepted' }],
      links: { deal_id: 'deal-1', contact_ids: ['c-1'], company_id: null },
    });
  });
});
