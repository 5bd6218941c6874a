home-title = Accueil
home-hello = Bonjour, { $name }
