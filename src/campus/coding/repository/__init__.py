"""Every query of the coding exercises."""
