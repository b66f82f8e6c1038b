"""tvnews: a terminal news reader that follows an article's own NEXT and More-in links."""

__version__ = "0.1.0"
