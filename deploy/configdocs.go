package deploy

// fileHeader opens the file Config writes, in French and in English.
var fileHeader = [2]string{
	`# tacit.toml : la configuration de tacit.
# Chaque clé y figure avec sa valeur par défaut (sauf celles qu'a fixées
# tacit init) et une ligne qui dit à quoi elle sert. Une clé supprimée
# reprend sa valeur par défaut. tacit vérifie le fichier à chaque commande
# et nomme chaque erreur avec sa ligne. Voir docs/configuration.md.
`,
	`# tacit.toml: tacit's configuration.
# Every key is here with its default value (except those tacit init set)
# and one line on what it is for. A key removed takes its default again.
# tacit checks the file on every command and names each error with its
# line. See docs/configuration.md.
`,
}

// tableDocs says what each table is for.
var tableDocs = map[string][2]string{
	"smtp": {
		"Le serveur SMTP qui reçoit le courrier des listes (derrière Postfix en production).",
		"The SMTP server that receives the lists' mail (behind Postfix in production).",
	},
	"imap": {
		"Les archives, en lecture seule, pour les membres (mot de passe : tacit member passwd).",
		"The read-only archive for members (password: tacit member passwd).",
	},
	"http": {
		"Le registre des décisions, les liens de désinscription en un clic et /healthz.",
		"The register of decisions, the one-click unsubscribe links and /healthz.",
	},
	"delivery": {
		"L'envoi des copies aux membres.",
		"Sending the copies to members.",
	},
	"consensus": {
		"Le consentement : délais, rappels, authentification de qui propose ou objecte.",
		"Consent: deadlines, reminders, authenticating who proposes or objects.",
	},
	"storage": {
		"Où vit le magasin : un fichier bbolt (par défaut) ou une base PostgreSQL partagée par plusieurs tacit.",
		"Where the store lives: a bbolt file (the default) or a PostgreSQL database shared by several tacit.",
	},
	"dkim": {
		"La signature DKIM du courrier des listes ; les trois clés vides : aucune signature.",
		"The DKIM signature of the lists' mail; all three keys empty: no signature.",
	},
}

// keyDocs has one line per key of config.Config: what it is for. A key
// without a line here fails the package's tests.
var keyDocs = map[string][2]string{
	"data_dir": {
		"Le magasin (tacit.db), les files d'attente et la socket d'administration : à sauvegarder.",
		"The store (tacit.db), the queues and the admin socket: the thing to back up.",
	},
	"domain": {
		"La partie après @ des adresses de listes (liste@domaine) : le domaine dont le MX mène ici.",
		"The part after @ of list addresses (list@domain): the domain whose MX leads here.",
	},
	"language": {
		"Langue des messages envoyés par défaut : \"fr\" ou \"en\" (chaque liste peut la changer).",
		"Default language of the notices sent: \"fr\" or \"en\" (each list may change it).",
	},
	"timezone": {
		"Fuseau dans lequel les dates et échéances sont écrites et lues (nom IANA).",
		"Time zone in which dates and deadlines are written and read (IANA name).",
	},
	"smtp.listen": {
		"Adresse d'écoute ; 127.0.0.1 quand Postfix reçoit le courrier d'Internet et le passe ici.",
		"Listening address; 127.0.0.1 when Postfix receives the Internet's mail and hands it here.",
	},
	"smtp.hostname": {
		"Nom du serveur dans EHLO et dans les Message-ID ; celui de l'enregistrement A du MX.",
		"The server's name in EHLO and in Message-IDs; that of the MX's A record.",
	},
	"smtp.max_message_bytes": {
		"Taille maximale d'un message en octets ; au-delà : refus 552 (25 Mo comme la plupart des hébergeurs).",
		"Largest message in bytes; beyond it: refused with 552 (25 MB like most providers).",
	},
	"smtp.max_recipients": {
		"Nombre maximal de RCPT par message : borne le travail d'une seule transaction.",
		"Most RCPT per message: bounds the work of one transaction.",
	},
	"smtp.max_connections": {
		"Connexions SMTP simultanées au plus : protège la mémoire et les descripteurs.",
		"Most simultaneous SMTP connections: protects memory and file descriptors.",
	},
	"smtp.max_connections_per_ip": {
		"Connexions simultanées au plus d'une même adresse (Postfix seul passe par 127.0.0.1).",
		"Most simultaneous connections from one address (Postfix alone comes from 127.0.0.1).",
	},
	"smtp.max_messages_per_minute": {
		"Messages par minute au plus d'une même adresse : freine une boucle ou un flot.",
		"Most messages per minute from one address: slows a loop or a flood down.",
	},
	"smtp.trusted_relays": {
		"Adresses (CIDR, séparées par des virgules) dont on lit les Authentication-Results ; vide : personne.",
		"Addresses (CIDRs, comma-separated) whose Authentication-Results are read; empty: nobody's.",
	},
	"smtp.authserv_id": {
		"authserv-id que ces relais écrivent dans Authentication-Results ; vide : smtp.hostname.",
		"The authserv-id those relays write in Authentication-Results; empty: smtp.hostname.",
	},
	"smtp.idle_timeout": {
		"Ferme une connexion muette aussi longtemps entre deux commandes.",
		"Closes a connection silent this long between two commands.",
	},
	"smtp.data_timeout": {
		"Temps laissé pour envoyer le corps d'un message, assez long pour un lien lent.",
		"Time allowed to send a message body, long enough for a slow link.",
	},
	"smtp.tls_cert": {
		"Certificat PEM (chaîne complète) pour STARTTLS, avec tls_key ; vide : pas de STARTTLS.",
		"PEM certificate (full chain) for STARTTLS, with tls_key; empty: no STARTTLS.",
	},
	"smtp.tls_key": {
		"Clé privée PEM du certificat, lisible par l'utilisateur tacit.",
		"The certificate's PEM private key, readable by the tacit user.",
	},
	"imap.listen": {
		"Adresse d'écoute du serveur IMAP ; vide : pas d'IMAP.",
		"Listening address of the IMAP server; empty: no IMAP.",
	},
	"imap.tls_listen": {
		"Adresse d'écoute de l'IMAP chiffré dès la connexion (IMAPS, port 993) ; vide : pas d'IMAPS.",
		"Listening address of IMAP encrypted from the first byte (IMAPS, port 993); empty: no IMAPS.",
	},
	"imap.tls_cert": {
		"Certificat PEM propre à l'IMAP, avec imap.tls_key ; vide : celui de smtp.tls_cert.",
		"PEM certificate of IMAP's own, with imap.tls_key; empty: the one of smtp.tls_cert.",
	},
	"imap.tls_key": {
		"Clé privée PEM de imap.tls_cert.",
		"The PEM private key of imap.tls_cert.",
	},
	"http.listen": {
		"Adresse d'écoute du serveur web ; 127.0.0.1 derrière un mandataire inverse (nginx, Caddy).",
		"Listening address of the web server; 127.0.0.1 behind a reverse proxy (nginx, Caddy).",
	},
	"http.base_url": {
		"Comment l'extérieur atteint ces pages : le début des liens écrits dans les messages.",
		"How the outside world reaches these pages: the start of the links written in messages.",
	},
	"http.tls_cert": {
		"Certificat PEM pour servir ces pages en HTTPS soi-même, avec http.tls_key ; vide : HTTP, derrière un mandataire.",
		"PEM certificate to serve these pages over HTTPS itself, with http.tls_key; empty: HTTP, behind a proxy.",
	},
	"http.tls_key": {
		"Clé privée PEM de http.tls_cert.",
		"The PEM private key of http.tls_cert.",
	},
	"delivery.mode": {
		"\"relay\" : par SMTP vers delivery.relay (Postfix) ; \"maildir\" : des fichiers sous data_dir, pour essayer.",
		"\"relay\": by SMTP to delivery.relay (Postfix); \"maildir\": files under data_dir, to try things out.",
	},
	"delivery.maildir": {
		"En mode maildir, le dossier (relatif à data_dir) où chaque copie est écrite.",
		"In maildir mode, the directory (relative to data_dir) where each copy is written.",
	},
	"delivery.relay": {
		"En mode relay, le serveur SMTP qui achemine les copies (Postfix local : 127.0.0.1:25).",
		"In relay mode, the SMTP server that carries the copies (local Postfix: 127.0.0.1:25).",
	},
	"delivery.concurrency": {
		"Sessions d'envoi simultanées vers le relais.",
		"Simultaneous delivery sessions to the relay.",
	},
	"delivery.recipients_per_transaction": {
		"RCPT au plus par transaction (Postfix en accepte 1000 par défaut).",
		"Most RCPT per transaction (Postfix accepts 1000 by default).",
	},
	"delivery.max_queue_lifetime": {
		"Durée des nouvelles tentatives avant d'abandonner un destinataire (5 jours, comme Postfix).",
		"How long a recipient is retried before giving up (5 days, like Postfix).",
	},
	"delivery.lease": {
		"Durée pendant laquelle un envoi garde sa file ; passé ce délai sans nouvelles, un autre nœud le reprend.",
		"How long a delivery holds its queue entry; after that without news, another node takes it over.",
	},
	"delivery.verp": {
		"Une enveloppe par membre, pour que chaque rebond nomme son membre.",
		"One envelope per member, so that each bounce names its member.",
	},
	"delivery.max_replies_per_hour": {
		"Réponses au plus par heure vers une même adresse : évite les boucles avec les répondeurs.",
		"Most replies per hour to one address: avoids loops with autoresponders.",
	},
	"delivery.max_posts_per_hour": {
		"Messages d'un membre diffusés au plus par heure ; les suivants attendent les propriétaires.",
		"Most posts of one member distributed per hour; the next ones wait for the owners.",
	},
	"delivery.bounce_days": {
		"Jours de rebonds définitifs (dans bounce_window) qui suspendent l'envoi à un membre.",
		"Days of hard bounces (within bounce_window) that stop delivery to a member.",
	},
	"delivery.bounce_window": {
		"Fenêtre dans laquelle ces jours de rebonds sont comptés.",
		"The window in which those bounce days are counted.",
	},
	"delivery.digest_time": {
		"Heure (HH:MM, dans timezone) du résumé quotidien pour les membres qui l'ont choisi.",
		"Time (HH:MM, in timezone) of the daily digest for the members who chose it.",
	},
	"consensus.default_deadline": {
		"Délai d'une proposition qui n'en donne pas : le temps laissé pour objecter.",
		"Deadline of a proposal that names none: the time left to object.",
	},
	"consensus.min_deadline": {
		"Délai le plus court qu'une proposition peut demander : chacun doit avoir le temps de lire.",
		"Shortest deadline a proposal may ask for: everyone must have time to read.",
	},
	"consensus.remind_before": {
		"Rappel envoyé autant avant l'échéance ; \"0s\" : aucun rappel.",
		"Reminder sent this long before the deadline; \"0s\": no reminder.",
	},
	"consensus.schedule": {
		"Rythme (cron) auquel les échéances sont examinées.",
		"Rhythm (cron) at which deadlines are examined.",
	},
	"consensus.authentication": {
		"\"dkim-or-confirm\" : signature DKIM alignée, sinon confirmation par retour de courrier ; \"dkim\" ; \"none\".",
		"\"dkim-or-confirm\": an aligned DKIM signature, else confirmation by return mail; \"dkim\"; \"none\".",
	},
	"consensus.agenda_before": {
		"L'ordre du jour d'une réunion part autant avant elle.",
		"A meeting's agenda goes out this long before it.",
	},
	"consensus.confirm_window": {
		"Temps laissé pour confirmer une commande ; une décision attend au plus autant.",
		"Time allowed to confirm a command; a decision waits at most this long.",
	},
	"dkim.domain": {
		"d= de la signature : le domaine des listes, pour que DMARC soit aligné.",
		"d= of the signature: the lists' domain, so that DMARC is aligned.",
	},
	"dkim.selector": {
		"s= de la signature : la clé publique est publiée en SELECTEUR._domainkey.DOMAINE.",
		"s= of the signature: the public key is published at SELECTOR._domainkey.DOMAIN.",
	},
	"dkim.private_key": {
		"Fichier PEM de la clé privée (RSA ou Ed25519), lisible par l'utilisateur tacit seul.",
		"PEM file of the private key (RSA or Ed25519), readable by the tacit user only.",
	},
	"storage.driver": {
		"\"bbolt\" : un fichier, data_dir/tacit.db ; \"postgres\" : la base de storage.dsn (voir docs/configuration.md).",
		"\"bbolt\": one file, data_dir/tacit.db; \"postgres\": the database of storage.dsn (see docs/configuration.md).",
	},
	"storage.dsn": {
		"Pour \"postgres\" : la chaîne de connexion, postgres://utilisateur@hôte/base (mot de passe de préférence dans ~/.pgpass).",
		"For \"postgres\": the connection string, postgres://user@host/database (the password preferably in ~/.pgpass).",
	},
}
