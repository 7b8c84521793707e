"""In-app notifications: the inbox, the unread count, e-mail and SMS delivery."""
