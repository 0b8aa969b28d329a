"""Small file helpers: atomic saves, the folders ConvScope may write to, the bundled
resources."""
