package deploy

// fileHeader opens the file Config writes, in French and in English.
var fileHeader = [2]string{
	`# tacit.toml : la configuration de tacit.
# Chaque réglage (clé = valeur) y figure avec sa valeur par défaut, sauf ceux
# que tacit init a remplis, sous une ligne qui explique à quoi il sert. Un
# réglage supprimé reprend sa valeur par défaut. Les textes s'écrivent entre
# guillemets, les durées aussi, en heures, minutes ou secondes : "72h", "90m".
# tacit vérifie ce fichier à chaque commande et signale chaque erreur avec son
# numéro de ligne. Le serveur ne le relit pas en marche : après une
# modification, systemctl restart tacit. Tous les réglages : docs/configuration.md.
`,
	`# tacit.toml: tacit's configuration.
# Every setting (key = value) is here with its default value, except those
# tacit init filled in, under a line saying what it is for. A setting removed
# takes its default value again. Text is written in quotes, and so are
# durations, in hours, minutes or seconds: "72h", "90m".
# tacit checks this file on every command and reports each error with its
# line number. The running server does not read it again: after a change,
# systemctl restart tacit. Every setting: docs/configuration.md.
`,
}

// tableDocs says what each table is for.
var tableDocs = map[string][2]string{
	"smtp": {
		"Réception du courrier des listes par SMTP (en production, Postfix le reçoit d'Internet et le passe à tacit).",
		"Receiving the lists' mail over SMTP (in production, Postfix receives it from the Internet and hands it to tacit).",
	},
	"imap": {
		"Les archives, que les membres lisent avec leur logiciel de messagerie (IMAP, lecture seule ; mot de passe : tacit member passwd).",
		"The archives, which members read with their mail program (IMAP, read only; password: tacit member passwd).",
	},
	"http": {
		"Les pages web : registre des décisions, liens de désinscription en un clic, /healthz (état du serveur).",
		"The web pages: register of decisions, one-click unsubscribe links, /healthz (the server's health).",
	},
	"delivery": {
		"L'envoi des copies aux membres.",
		"Sending the copies to the members.",
	},
	"consensus": {
		"Le consentement : délais des propositions, rappels, et comment tacit s'assure de qui propose ou objecte.",
		"Consent: the deadlines of proposals, reminders, and how tacit makes sure who proposes or objects.",
	},
	"storage": {
		"Où tacit garde ses données : un fichier bbolt (par défaut) ou une base PostgreSQL partagée par plusieurs serveurs tacit.",
		"Where tacit keeps its data: a bbolt file (the default) or a PostgreSQL database shared by several tacit servers.",
	},
	"dkim": {
		"La signature DKIM du courrier des listes, qui prouve aux destinataires qu'il vient bien d'ici ; les trois réglages vides : pas de signature.",
		"The DKIM signature of the lists' mail, which proves to recipients that it comes from here; all three settings empty: no signature.",
	},
}

// keyDocs has one line per key of config.Config: what it is for. A key
// without a line here fails the package's tests.
var keyDocs = map[string][2]string{
	"data_dir": {
		"Dossier des données : la base (tacit.db), les files d'attente et tacit.sock, par où passent les commandes d'administration ; à sauvegarder (tacit backup).",
		"Data folder: the database (tacit.db), the queues and tacit.sock, through which the admin commands go; to back up (tacit backup).",
	},
	"domain": {
		"Domaine des adresses des listes (liste@domaine) ; son enregistrement MX doit mener à ce serveur.",
		"Domain of the lists' addresses (list@domain); its MX record must lead to this server.",
	},
	"language": {
		"Langue par défaut des messages que tacit envoie : \"fr\" ou \"en\" (chaque liste peut choisir la sienne).",
		"Default language of the messages tacit sends: \"fr\" or \"en\" (each list may choose its own).",
	},
	"timezone": {
		"Fuseau horaire dans lequel les dates et les échéances sont écrites et lues (nom de la liste IANA, comme \"Europe/Paris\").",
		"Time zone in which dates and deadlines are written and read (a name from the IANA list, like \"Europe/Paris\").",
	},
	"smtp.listen": {
		"Adresse et port où tacit reçoit le courrier ; 127.0.0.1 : depuis cette machine seulement (Postfix).",
		"Address and port where tacit receives mail; 127.0.0.1: from this machine only (Postfix).",
	},
	"smtp.hostname": {
		"Nom que le serveur se donne en SMTP (EHLO) et dans les Message-ID : son nom public.",
		"Name the server gives itself in SMTP (EHLO) and in Message-IDs: its public name.",
	},
	"smtp.max_message_bytes": {
		"Taille maximale d'un message, en octets ; au-delà, il est refusé (code 552). 25 Mo, comme la plupart des messageries.",
		"Largest message, in bytes; a larger one is refused (code 552). 25 MB, like most mail providers.",
	},
	"smtp.max_recipients": {
		"Nombre maximal de destinataires (RCPT) pour un même message reçu.",
		"Most recipients (RCPT) for one incoming message.",
	},
	"smtp.max_connections": {
		"Nombre maximal de connexions SMTP simultanées ; protège la mémoire du serveur.",
		"Most SMTP connections at the same time; protects the server's memory.",
	},
	"smtp.max_connections_per_ip": {
		"Nombre maximal de connexions simultanées depuis une même adresse (derrière Postfix, toutes viennent de 127.0.0.1).",
		"Most connections at the same time from one address (behind Postfix, they all come from 127.0.0.1).",
	},
	"smtp.max_messages_per_minute": {
		"Nombre maximal de messages par minute depuis une même adresse : freine une boucle ou un envoi massif.",
		"Most messages per minute from one address: slows a loop or a flood down.",
	},
	"smtp.trusted_relays": {
		"Adresses IP (ou blocs CIDR, séparés par des virgules) de vos serveurs de courrier dont tacit croit l'en-tête Authentication-Results ; vide : aucun.",
		"IP addresses (or CIDR blocks, comma-separated) of your own mail servers whose Authentication-Results header tacit believes; empty: none.",
	},
	"smtp.authserv_id": {
		"Nom que ces serveurs écrivent en tête de leurs Authentication-Results ; vide : celui de smtp.hostname.",
		"The name those servers write first in their Authentication-Results; empty: the one of smtp.hostname.",
	},
	"smtp.idle_timeout": {
		"Une connexion SMTP qui reste muette aussi longtemps entre deux commandes est fermée.",
		"An SMTP connection that stays silent this long between two commands is closed.",
	},
	"smtp.data_timeout": {
		"Temps maximal pour recevoir un message, assez long pour une connexion lente.",
		"Longest time to receive one message, long enough for a slow connection.",
	},
	"smtp.tls_cert": {
		"Certificat TLS (fichier PEM, chaîne complète) pour le chiffrement STARTTLS, avec tls_key ; vide : pas de chiffrement (voir docs/tls.md).",
		"TLS certificate (PEM file, full chain) for STARTTLS encryption, with tls_key; empty: no encryption (see docs/tls.md).",
	},
	"smtp.tls_key": {
		"Clé privée de ce certificat (fichier PEM), que l'utilisateur tacit doit pouvoir lire.",
		"The certificate's private key (PEM file), which the tacit user must be able to read.",
	},
	"imap.listen": {
		"Adresse et port du serveur IMAP des archives ; vide : pas d'IMAP.",
		"Address and port of the archives' IMAP server; empty: no IMAP.",
	},
	"imap.tls_listen": {
		"Adresse et port de l'IMAP chiffré dès la connexion (IMAPS, d'habitude le port 993) ; vide : pas d'IMAPS.",
		"Address and port of IMAP encrypted from the start (IMAPS, usually port 993); empty: no IMAPS.",
	},
	"imap.tls_cert": {
		"Certificat propre à l'IMAP (fichier PEM), avec imap.tls_key ; vide : celui de smtp.tls_cert.",
		"A certificate of IMAP's own (PEM file), with imap.tls_key; empty: the one of smtp.tls_cert.",
	},
	"imap.tls_key": {
		"Clé privée du certificat imap.tls_cert (fichier PEM).",
		"The private key of imap.tls_cert (PEM file).",
	},
	"http.listen": {
		"Adresse et port du serveur web ; 127.0.0.1 derrière un serveur frontal (nginx, Caddy) qui s'occupe du HTTPS.",
		"Address and port of the web server; 127.0.0.1 behind a front web server (nginx, Caddy) that handles HTTPS.",
	},
	"http.base_url": {
		"Adresse publique de ces pages : le début des liens écrits dans les messages.",
		"Public address of these pages: the start of the links written in messages.",
	},
	"http.tls_cert": {
		"Certificat (fichier PEM) pour que tacit serve lui-même ces pages en HTTPS, avec http.tls_key ; vide : HTTP simple, derrière un serveur frontal.",
		"Certificate (PEM file) for tacit to serve these pages over HTTPS itself, with http.tls_key; empty: plain HTTP, behind a front server.",
	},
	"http.tls_key": {
		"Clé privée du certificat http.tls_cert (fichier PEM).",
		"The private key of http.tls_cert (PEM file).",
	},
	"delivery.mode": {
		"\"relay\" : envoi par SMTP à delivery.relay (Postfix) ; \"maildir\" : rien ne part, chaque copie est écrite dans un dossier, pour essayer.",
		"\"relay\": sent by SMTP to delivery.relay (Postfix); \"maildir\": nothing goes out, each copy is written to a folder, to try things out.",
	},
	"delivery.maildir": {
		"En mode maildir, le dossier (dans data_dir, sauf chemin absolu) où chaque copie est écrite.",
		"In maildir mode, the folder (inside data_dir unless the path is absolute) where each copy is written.",
	},
	"delivery.relay": {
		"En mode relay, le serveur SMTP (hôte:port) qui achemine les copies ; Postfix sur cette machine : 127.0.0.1:25.",
		"In relay mode, the SMTP server (host:port) that carries the copies; Postfix on this machine: 127.0.0.1:25.",
	},
	"delivery.concurrency": {
		"Nombre de connexions d'envoi simultanées vers ce serveur.",
		"Number of delivery connections to that server at the same time.",
	},
	"delivery.recipients_per_transaction": {
		"Nombre maximal de destinataires par envoi SMTP (Postfix en accepte 1000 par défaut).",
		"Most recipients per SMTP transaction (Postfix accepts 1000 by default).",
	},
	"delivery.max_queue_lifetime": {
		"Combien de temps tacit réessaie un destinataire injoignable avant d'abandonner (par défaut 120h, soit 5 jours, comme Postfix).",
		"How long tacit retries a recipient it cannot reach before giving up (by default 120h, that is 5 days, like Postfix).",
	},
	"delivery.lease": {
		"Avec plusieurs tacit sur une même base : durée pendant laquelle un envoi en cours reste réservé ; sans nouvelles passé ce délai, un autre le reprend.",
		"With several tacit on one database: how long a delivery under way stays reserved; without news after that, another one takes it over.",
	},
	"delivery.verp": {
		"Une enveloppe par membre, pour que chaque message revenu en erreur (rebond) désigne son membre.",
		"One envelope per member, so that each message that comes back as undeliverable (a bounce) names its member.",
	},
	"delivery.max_replies_per_hour": {
		"Nombre maximal de réponses par heure à une même adresse : évite les boucles avec les répondeurs automatiques.",
		"Most replies per hour to one address: avoids loops with automatic responders.",
	},
	"delivery.max_posts_per_hour": {
		"Nombre maximal de messages d'un membre diffusés par heure ; les suivants attendent la décision des propriétaires de la liste.",
		"Most posts of one member distributed per hour; the next ones wait for the list owners' decision.",
	},
	"delivery.bounce_days": {
		"Après autant de jours de rebonds définitifs (dans bounce_window), l'envoi à un membre est suspendu.",
		"After this many days of hard bounces (within bounce_window), delivery to a member is suspended.",
	},
	"delivery.bounce_window": {
		"Période sur laquelle ces jours de rebonds sont comptés (par défaut 336h, soit 14 jours).",
		"The period over which those bounce days are counted (by default 336h, that is 14 days).",
	},
	"delivery.digest_time": {
		"Heure (HH:MM, dans le fuseau de timezone) d'envoi du résumé quotidien aux membres qui l'ont choisi.",
		"Time (HH:MM, in the time zone of timezone) at which the daily digest goes to the members who chose it.",
	},
	"consensus.default_deadline": {
		"Délai laissé pour objecter quand une proposition n'en indique pas (par défaut 72h, soit 3 jours).",
		"Time left to object when a proposal names no deadline (by default 72h, that is 3 days).",
	},
	"consensus.min_deadline": {
		"Délai le plus court qu'une proposition peut demander : chacun doit avoir le temps de lire.",
		"Shortest deadline a proposal may ask for: everyone must have time to read it.",
	},
	"consensus.remind_before": {
		"Un rappel part autant de temps avant l'échéance ; \"0s\" : pas de rappel.",
		"A reminder goes out this long before the deadline; \"0s\": no reminder.",
	},
	"consensus.schedule": {
		"Fréquence à laquelle tacit regarde si des échéances sont passées (format cron) ; rarement à changer.",
		"How often tacit looks for deadlines that have passed (cron format); rarely needs changing.",
	},
	"consensus.authentication": {
		"Comment tacit s'assure qu'une proposition ou une objection vient de son expéditeur : \"dkim-or-confirm\" (signature DKIM, sinon confirmation par simple réponse), \"dkim\" ou \"none\".",
		"How tacit makes sure a proposal or an objection comes from its sender: \"dkim-or-confirm\" (a DKIM signature, else confirmation by a plain reply), \"dkim\" or \"none\".",
	},
	"consensus.agenda_before": {
		"L'ordre du jour d'une réunion part autant de temps avant elle.",
		"A meeting's agenda goes out this long before it.",
	},
	"consensus.confirm_window": {
		"Temps laissé à l'expéditeur pour confirmer une commande ; une échéance attend au plus autant les confirmations en cours.",
		"Time the sender has to confirm a command; a deadline waits at most this long for confirmations under way.",
	},
	"dkim.domain": {
		"Domaine de la signature (d=) : celui des listes, pour que la vérification DMARC réussisse.",
		"Domain of the signature (d=): the lists' one, so that the DMARC check passes.",
	},
	"dkim.selector": {
		"Sélecteur de la clé (s=) : la clé publique est publiée dans le DNS sous SELECTEUR._domainkey.DOMAINE.",
		"Selector of the key (s=): the public key is published in DNS at SELECTOR._domainkey.DOMAIN.",
	},
	"dkim.private_key": {
		"Fichier de la clé privée (PEM, RSA ou Ed25519), que seul l'utilisateur tacit peut lire.",
		"File of the private key (PEM, RSA or Ed25519), which only the tacit user can read.",
	},
	"storage.driver": {
		"\"bbolt\" : un seul fichier, data_dir/tacit.db ; \"postgres\" : une base PostgreSQL, donnée par storage.dsn (voir docs/configuration.md).",
		"\"bbolt\": one file, data_dir/tacit.db; \"postgres\": a PostgreSQL database, given by storage.dsn (see docs/configuration.md).",
	},
	"storage.dsn": {
		"Pour \"postgres\" : la chaîne de connexion, postgres://utilisateur@hôte/base (le mot de passe plutôt dans ~/.pgpass).",
		"For \"postgres\": the connection string, postgres://user@host/database (the password preferably in ~/.pgpass).",
	},
}
