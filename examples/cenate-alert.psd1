# Settings of Send-CenateAlert for the scheduled jobs: Send-CenateAlert -Settings /etc/cenate/alert.psd1
# Keep this file owned by the backup account (or root) and not writable by anyone else, in a directory others cannot
# write (chmod 600; 644 only without webhook/heartbeat URIs, whose path is a secret): it decides
# where the SMTP credential is sent, so the module refuses it otherwise (SettingsFileInsecure).
# It is read as data: no expressions, no variables, and no password (SettingsInvalid).
@{
    # Mail (MailKit). StartTls on 587 (default), SslOnConnect on 465; None only for a relay on this machine.
    SmtpServer            = 'smtp.hospital.local'
    Port                  = 587
    Security              = 'StartTls'
    From                  = 'cenate-backup@hospital.local'
    To                    = @('dba@hospital.local')
    # Cc                  = @('guardia-ti@hospital.local')
    # The password: an Export-Clixml'd credential (Windows: DPAPI; Linux: NOT encrypted, so chmod 600, owned by
    # the backup account), or a user name + the name of an environment variable that holds the password.
    CredentialPath        = '/etc/cenate/smtp-cred.xml'
    # UserName            = 'cenate-alerts'
    # PasswordVariable    = 'CENATE_SMTP_PASSWORD'
    # A relay with a self-signed certificate: pin it (SHA-256 or SHA-1, as openssl or the Cert: drive show it).
    # CertificateThumbprint = '3F:9A:…'
    # SkipRevocationCheck = $true        # when the LAN cannot reach the CA's revocation (CRL/OCSP) server

    # Chat: Json | Slack | Teams (Workflows URL) | Telegram (with TelegramChatId). The URI is a secret.
    # WebhookUri          = 'https://hooks.slack.com/services/…'
    # WebhookFormat       = 'Slack'

    # Dead-man's switch: pinged on every run (<uri> on success, <uri>/fail on failure).
    # HeartbeatUri        = 'https://hc-ping.com/…'

    # For a Zabbix/Nagios agent: a small JSON rewritten on every run.
    # StatusPath          = '/var/lib/cenate/status.json'

    # Failure (default) | Always | Change
    When                  = 'Failure'
    # Language of the messages (default: the account's $PSUICulture).
    Culture               = 'es-PE'

    # Read by Test-CenateBackup/Confirm-CenateRowDrop/Remove-CenateOldBackup -Settings (Send-CenateAlert ignores it):
    # how many rows each critical table may lose between two full sets before it is an alarm.
    # RowDrop = @{ 'public.asegurados' = '2%'; 'public.citas' = @{ MaxRowDrop = '5%'; MaxRowDropCount = 1000 } }
}
