import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderPayloadTypes } from '../../../src/core/catalog/typegen.js';

const typesFile = fileURLToPath(new URL('../../../src/core/catalog/types.ts', import.meta.url));

describe('generated payload types', () => {
  it('src/core/catalog/types.ts matches schemas/*.avsc', () => {
    const expected = renderPayloadTypes();
    if (process.env.MISO_UPDATE_TYPES === '1') writeFileSync(typesFile, expected);
    const actual = existsSync(typesFile) ? readFileSync(typesFile, 'utf8') : '';
    // On mismatch: MISO_UPDATE_TYPES=1 vitest run test/unit/catalog/types.test.ts
    expect(actual).toBe(expected);
  });

  it('renders every record field with its TypeScript type', () => {
    const text = renderPayloadTypes();
    expect(text).toMatch(/export interface CreateCampaign \{[^}]*description: null \| string;/s);
    expect(text).toMatch(/export interface CreateTrackingEvent \{[^}]*event_type: TrackingEventType;/s);
    expect(text).toContain("export type TrackingEventType = 'view' | 'click' | 'conversion';");
    expect(text).toMatch(/export interface CommandRejected \{[^}]*field_errors: FieldError\[\];/s);
    expect(text).toMatch(/'campaign.create.command.v1': 'description' \| 'budget_minor' \| 'currency';/);
    expect(text).toMatch(/'payment.process.command.v1': 'currency';/);
  });
});
