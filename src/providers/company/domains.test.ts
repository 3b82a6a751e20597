import { describe, expect, it } from 'vitest';
import { companyInputOf, isDirectoryDomain, registeredDomain } from './domains.ts';

describe('company inputs', () => {
  it('reduces domains, URLs and email addresses to the registered domain, public-suffix aware', () => {
    expect(companyInputOf('acme.com')).toEqual({ domain: 'acme.com' });
    expect(companyInputOf('https://www.acme.co.uk/about?x=1')).toEqual({ domain: 'acme.co.uk' });
    expect(companyInputOf('WWW.GLOBEX.COM')).toEqual({ domain: 'globex.com' });
    expect(companyInputOf('ada@mail.initech.com.au')).toEqual({ domain: 'initech.com.au' });
    // A private suffix is someone's platform: the shop on it is the company.
    expect(companyInputOf('https://acme.myshopify.com/')).toEqual({ domain: 'acme.myshopify.com' });
  });

  it('takes anything else as a name to search for', () => {
    expect(companyInputOf('  Acme   Rockets ')).toEqual({ name: 'Acme Rockets' });
    expect(companyInputOf('Initech')).toEqual({ name: 'Initech' });
    expect(companyInputOf('')).toBeUndefined();
    expect(companyInputOf(42)).toBeUndefined();
  });

  it('has no registered domain for IP addresses', () => {
    expect(registeredDomain('http://127.0.0.1:3000/x')).toBeUndefined();
  });

  it('knows directory sites are never a company website', () => {
    expect(isDirectoryDomain('linkedin.com')).toBe(true);
    expect(isDirectoryDomain('acme.com')).toBe(false);
  });
});
