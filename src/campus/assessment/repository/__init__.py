"""Every assessment query."""
