"""The shipped templates: a subject and a short text per type and language. The email body
wraps the short text in a greeting, the link and a signature; the in-app, push and SMS text
is the short text itself. These are version 0 of every template; an admin's saved version
replaces one."""

from __future__ import annotations

from typing import Final

#: ``{type code: {language: (subject, short text)}}``, Jinja2 (sandboxed) source.
TEXTS: Final[dict[str, dict[str, tuple[str, str]]]] = {
    "account.welcome": {
        "en": ("Welcome to {{ platform_name }}", "Your account is ready. Find a course to start."),
        "fr": (
            "Bienvenue sur {{ platform_name }}",
            "Votre compte est prêt. Trouvez un cours pour commencer.",
        ),
    },
    "account.email_verification": {
        "en": (
            "Verify your email address",
            "Welcome to {{ platform_name }}. Confirm your email address by opening this link "
            "within 24 hours:\n\n{{ url }}\n\nThe link works once. If you did not create an "
            "account, ignore this message.",
        ),
        "fr": (
            "Confirmez votre adresse e-mail",
            "Bienvenue sur {{ platform_name }}. Confirmez votre adresse e-mail en ouvrant ce "
            "lien dans les 24 heures :\n\n{{ url }}\n\nLe lien ne fonctionne qu'une fois. Si "
            "vous n'avez pas créé de compte, ignorez ce message.",
        ),
    },
    "account.password_reset": {
        "en": (
            "Reset your Campus password",
            "Someone (hopefully you) asked to reset your password. Choose a new one within the "
            "next hour with this link:\n\n{{ url }}\n\nThe link works once. If you did not ask "
            "for it, ignore this message; your password is unchanged.",
        ),
        "fr": (
            "Réinitialisez votre mot de passe Campus",
            "Quelqu'un (vous, espérons-le) a demandé à réinitialiser votre mot de passe. "
            "Choisissez-en un nouveau dans l'heure avec ce lien :\n\n{{ url }}\n\nLe lien ne "
            "fonctionne qu'une fois. Si vous ne l'avez pas demandé, ignorez ce message ; votre "
            "mot de passe n'a pas changé.",
        ),
    },
    "account.email_change": {
        "en": (
            "Confirm your new Campus email address",
            "Confirm that this is the new email address of your Campus account by opening "
            "this link within 24 hours:\n\n{{ url }}\n\nUntil you do, your account keeps its "
            "current address. If you did not ask for this, ignore this message.",
        ),
        "fr": (
            "Confirmez votre nouvelle adresse e-mail Campus",
            "Confirmez que ceci est la nouvelle adresse e-mail de votre compte Campus en "
            "ouvrant ce lien dans les 24 heures :\n\n{{ url }}\n\nD'ici là, votre compte garde "
            "son adresse actuelle. Si vous ne l'avez pas demandé, ignorez ce message.",
        ),
    },
    "learning.enrolled": {
        "en": ("You are enrolled in {{ course_title }}", "Start learning {{ course_title }}."),
        "fr": (
            "Vous êtes inscrit à {{ course_title }}",
            "Commencez à apprendre {{ course_title }}.",
        ),
    },
    "learning.lesson_completed": {
        "en": ("Lesson completed", "You completed a lesson of {{ course_title }}."),
        "fr": ("Leçon terminée", "Vous avez terminé une leçon de {{ course_title }}."),
    },
    "learning.course_completed": {
        "en": (
            "You completed {{ course_title }}",
            "Congratulations: you completed {{ course_title }}.",
        ),
        "fr": (
            "Vous avez terminé {{ course_title }}",
            "Félicitations : vous avez terminé {{ course_title }}.",
        ),
    },
    "learning.inactivity_reminder": {
        "en": (
            "Continue {{ course_title }}",
            "You have not continued {{ course_title }} for {{ days }} days. Pick up where you "
            "left off.",
        ),
        "fr": (
            "Reprenez {{ course_title }}",
            "Vous n'avez pas avancé dans {{ course_title }} depuis {{ days }} jours. Reprenez "
            "là où vous en étiez.",
        ),
    },
    "learning.certificate_issued": {
        "en": (
            "Your certificate for {{ course_title }}",
            "Your certificate {{ certificate_number }} for {{ course_title }} is ready.",
        ),
        "fr": (
            "Votre certificat pour {{ course_title }}",
            "Votre certificat {{ certificate_number }} pour {{ course_title }} est prêt.",
        ),
    },
    "learning.course_announcement": {
        "en": ("{{ course_title }}: {{ title }}", "{{ message }}"),
        "fr": ("{{ course_title }} : {{ title }}", "{{ message }}"),
    },
    "grades.quiz_graded": {
        "en": (
            "Quiz graded in {{ course_title }}",
            "Your quiz in {{ course_title }} was graded: {{ score }} %"
            "{% if passed %}, passed{% endif %}.",
        ),
        "fr": (
            "Quiz noté dans {{ course_title }}",
            "Votre quiz dans {{ course_title }} a été noté : {{ score }} %"
            "{% if passed %}, réussi{% endif %}.",
        ),
    },
    "grades.assignment_graded": {
        "en": (
            "Assignment graded in {{ course_title }}",
            "Your assignment in {{ course_title }} was graded: {{ score }} %.",
        ),
        "fr": (
            "Devoir noté dans {{ course_title }}",
            "Votre devoir dans {{ course_title }} a été noté : {{ score }} %.",
        ),
    },
    "grades.revision_requested": {
        "en": (
            "Revision requested in {{ course_title }}",
            "Your instructor asked for a revision of your assignment in {{ course_title }}.",
        ),
        "fr": (
            "Révision demandée dans {{ course_title }}",
            "Votre formateur demande une révision de votre devoir dans {{ course_title }}.",
        ),
    },
    "grades.code_submission_graded": {
        "en": (
            "{{ exercise_title }} graded",
            "Your code for {{ exercise_title }} scored {{ score }}/{{ max_score }}.",
        ),
        "fr": (
            "{{ exercise_title }} corrigé",
            "Votre code pour {{ exercise_title }} a obtenu {{ score }}/{{ max_score }}.",
        ),
    },
    "commerce.order_paid": {
        "en": ("Your receipt", "Thank you. Your order {{ order_id }} of {{ amount }} is paid."),
        "fr": ("Votre reçu", "Merci. Votre commande {{ order_id }} de {{ amount }} est payée."),
    },
    "commerce.order_refunded": {
        "en": ("Your refund", "Your order {{ order_id }} was refunded: {{ amount }}."),
        "fr": (
            "Votre remboursement",
            "Votre commande {{ order_id }} a été remboursée : {{ amount }}.",
        ),
    },
    "commerce.payment_failed": {
        "en": ("Your payment failed", "The payment of your order {{ order_id }} failed."),
        "fr": ("Votre paiement a échoué", "Le paiement de votre commande {{ order_id }} a échoué."),
    },
    "billing.trial_ending": {
        "en": ("Your trial ends soon", "Your trial ends on {{ trial_ends_at }}."),
        "fr": ("Votre essai se termine bientôt", "Votre essai se termine le {{ trial_ends_at }}."),
    },
    "billing.payment_failed": {
        "en": (
            "Your subscription payment failed",
            "We could not charge {{ amount }} for your subscription. Update your payment method.",
        ),
        "fr": (
            "Le paiement de votre abonnement a échoué",
            "Nous n'avons pas pu prélever {{ amount }} pour votre abonnement. Mettez à jour "
            "votre moyen de paiement.",
        ),
    },
    "billing.subscription_renewed": {
        "en": ("Your subscription was renewed", "Your subscription was renewed for {{ amount }}."),
        "fr": (
            "Votre abonnement est renouvelé",
            "Votre abonnement est renouvelé pour {{ amount }}.",
        ),
    },
    "community.post_created": {
        "en": ("New topic: {{ topic_title }}", "{{ excerpt }}"),
        "fr": ("Nouveau sujet : {{ topic_title }}", "{{ excerpt }}"),
    },
    "community.reply_created": {
        "en": ("New reply in {{ topic_title }}", "{{ excerpt }}"),
        "fr": ("Nouvelle réponse dans {{ topic_title }}", "{{ excerpt }}"),
    },
    "community.mentioned": {
        "en": ("You were mentioned in {{ topic_title }}", "{{ excerpt }}"),
        "fr": ("Vous avez été mentionné dans {{ topic_title }}", "{{ excerpt }}"),
    },
    "community.solution_accepted": {
        "en": (
            "Your answer was accepted",
            "Your answer in {{ topic_title }} was accepted as the solution.",
        ),
        "fr": (
            "Votre réponse a été acceptée",
            "Votre réponse dans {{ topic_title }} a été acceptée comme solution.",
        ),
    },
    "community.review_approved": {
        "en": ("Your review is published", "Your {{ rating }}-star review is now published."),
        "fr": ("Votre avis est publié", "Votre avis {{ rating }} étoiles est maintenant publié."),
    },
    "community.content_reported": {
        "en": ("Content reported", "Content was reported for moderation: {{ reason }}."),
        "fr": ("Contenu signalé", "Un contenu a été signalé pour modération : {{ reason }}."),
    },
    "booking.requested": {
        "en": ("Session requested", "{{ service_name }} was requested for {{ starts_at }}."),
        "fr": ("Séance demandée", "{{ service_name }} a été demandée pour le {{ starts_at }}."),
    },
    "booking.confirmed": {
        "en": ("Session confirmed", "{{ service_name }} is confirmed for {{ starts_at }}."),
        "fr": ("Séance confirmée", "{{ service_name }} est confirmée pour le {{ starts_at }}."),
    },
    "booking.rescheduled": {
        "en": ("Session rescheduled", "{{ service_name }} now starts at {{ starts_at }}."),
        "fr": ("Séance déplacée", "{{ service_name }} commence maintenant le {{ starts_at }}."),
    },
    "booking.cancelled": {
        "en": ("Session cancelled", "{{ service_name }} of {{ starts_at }} was cancelled."),
        "fr": ("Séance annulée", "{{ service_name }} du {{ starts_at }} a été annulée."),
    },
    "booking.completed": {
        "en": ("Session completed", "{{ service_name }} of {{ starts_at }} took place."),
        "fr": ("Séance terminée", "{{ service_name }} du {{ starts_at }} a eu lieu."),
    },
    "booking.no_show": {
        "en": ("Missed session", "{{ service_name }} of {{ starts_at }} was marked as missed."),
        "fr": ("Séance manquée", "{{ service_name }} du {{ starts_at }} est marquée manquée."),
    },
    "booking.reminder": {
        "en": (
            "Your session starts soon",
            "{{ service_name }} starts in {{ minutes }} minutes ({{ starts_at }}).",
        ),
        "fr": (
            "Votre séance commence bientôt",
            "{{ service_name }} commence dans {{ minutes }} minutes ({{ starts_at }}).",
        ),
    },
    "marketing.new_course": {
        "en": ("New course: {{ course_title }}", "A new course you may like: {{ course_title }}."),
        "fr": (
            "Nouveau cours : {{ course_title }}",
            "Un nouveau cours qui pourrait vous plaire : {{ course_title }}.",
        ),
    },
    "marketing.announcement": {
        "en": ("{{ title }}", "{{ message }}"),
        "fr": ("{{ title }}", "{{ message }}"),
    },
    "digest.summary": {
        "en": (
            "Your {{ period }} summary",
            "{% for item in items %}- {{ item }}\n{% endfor %}",
        ),
        "fr": (
            "Votre résumé {{ 'quotidien' if period == 'daily' else 'hebdomadaire' }}",
            "{% for item in items %}- {{ item }}\n{% endfor %}",
        ),
    },
}

#: Email body around the short text: greeting, text, link, signature.
GREETING: Final = {"en": "Hello", "fr": "Bonjour"}
OPEN_LINK: Final = {"en": "Open", "fr": "Ouvrir"}
UNSUBSCRIBE: Final = {"en": "Unsubscribe from these emails", "fr": "Se désabonner de ces e-mails"}


def email_text(language: str, text: str, *, link_in_text: bool) -> str:
    greeting = GREETING.get(language, GREETING["en"])
    link = "" if link_in_text else "{% if url %}\n\n{{ url }}{% endif %}"
    return f"{greeting} {{{{ first_name }}}},\n\n{text}{link}\n\n— {{{{ platform_name }}}}"


def email_html(language: str, text: str, *, link_in_text: bool) -> str:
    greeting = GREETING.get(language, GREETING["en"])
    paragraphs = "".join(f"<p>{part.replace(chr(10), '<br>')}</p>" for part in text.split("\n\n"))
    link = (
        ""
        if link_in_text
        else f'{{% if url %}}<p><a href="{{{{ url }}}}">{OPEN_LINK.get(language, "Open")}'
        f"</a></p>{{% endif %}}"
    )
    return (
        f"<!doctype html><html><body><p>{greeting} {{{{ first_name }}}},</p>{paragraphs}{link}"
        f"<p>— {{{{ platform_name }}}}</p></body></html>"
    )
