"""The notifications context's delivery channels. Each is a small object with
``async send(message) -> SendResult`` (``base``): the in-app inbox (``inapp``) and email
(``email``), and the adapters that speak to outside providers, web push (``push``) and SMS
(``sms``), standalone modules whose constructors take what they need."""
