signin-title = Connexion
signin-email = Adresse e-mail
signin-password = Mot de passe
signin-submit = Se connecter
signin-invalid = Adresse e-mail ou mot de passe incorrect.
signin-too-many = Trop de tentatives échouées pour cette adresse. Réessayez dans quelques minutes.
