"""The public transparency register (built next)."""


urlpatterns: list[object] = []
