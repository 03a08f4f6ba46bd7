// The rules of settings validation and redaction, pinned down as behaviour.
import { describe, expect, it } from 'vitest'
import { redactText } from '../../../src/core/config.js'

describe('redactText leaves no part of a secret', () => {
  it('a JSON password containing an escaped quote is redacted whole', () => {
    const body = JSON.stringify({ password: 'pa"ss-word-secret', user: 'm' })
    expect(redactText(body)).toBe('{"password":"(redacted)","user":"m"}')
  })

  it('an opaque bearer token is redacted, not the word "Bearer"', () => {
    expect(redactText('Authorization: Bearer opaque-token-1234, next')).toBe('Authorization: "(redacted)", next')
  })

  it('credentials in a URL are redacted and the rest of the URL kept', () => {
    expect(redactText('ftp://admin:hunter2@files.example/x and https://h.example/a@b')).toBe(
      'ftp://(redacted)@files.example/x and https://h.example/a@b',
    )
  })
})
