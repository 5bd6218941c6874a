signin-title = Sign in
signin-email = E-mail address
signin-password = Password
signin-submit = Sign in
signin-invalid = The e-mail address or the password is incorrect.
signin-too-many = Too many failed attempts for this address. Try again in a few minutes.
