"""Payment gateways behind one port (``port.py``): sandbox, stripe, paypal."""
