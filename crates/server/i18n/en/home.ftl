home-title = Home
home-hello = Hello, { $name }
