// Passkeys: django-otp-webauthn's scripts run the browser's ceremonies; this one goes on to
// the page the server names once a passkey is added (its recovery codes, or the sign-in
// settings). Signing in with a passkey redirects by itself.
document.addEventListener('otp_webauthn.register_complete', function (event) {
  var target = event.detail && event.detail.response && event.detail.response.redirect_url
  if (typeof target === 'string' && target.charAt(0) === '/' && target.charAt(1) !== '/') {
    window.location.assign(target)
  }
})
