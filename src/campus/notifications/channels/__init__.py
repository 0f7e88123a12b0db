"""The notifications context's delivery channels that speak to outside providers: web push
(``push``) and SMS (``sms``). Each module is standalone: its constructors take what it needs
and it reads no settings and touches no database."""
