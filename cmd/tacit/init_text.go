package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"tacit/config"
	"tacit/deploy"
)

// initReport is what tacit init prints once its files are written.
type initReport struct {
	lang                       string
	cfg                        *config.Config
	cfgPath, unitPath, keyPath string
	records                    []deploy.Record
	mainCF, transport, virtual []string
	// postmaster is --postmaster; "" when virtual has the placeholder.
	postmaster string
}

// block writes lines indented by four spaces, between blank lines: the
// text to copy as it is.
func block(w io.Writer, lines ...string) {
	fmt.Fprintln(w)
	for _, l := range lines {
		fmt.Fprintln(w, "    "+l)
	}
	fmt.Fprintln(w)
}

// printInit prints the files written, the DNS records, the Postfix lines
// and the systemd commands, in French or in English.
func printInit(w io.Writer, r initReport) {
	en := r.lang == "en"
	t := func(fr, eng string, args ...any) {
		if en {
			fr = eng
		}
		fmt.Fprintf(w, fr+"\n", args...)
	}
	d := r.cfg.Domain
	sel := r.cfg.DKIM.Selector
	var dmarc string
	var zone []string
	for _, rec := range r.records {
		zone = append(zone, rec.String())
		if strings.HasPrefix(rec.Name, "_dmarc.") {
			dmarc = rec.Data[0]
		}
	}
	_, rua, _ := strings.Cut(dmarc, "mailto:")

	t("tacit init : trois fichiers écrits.", "tacit init: three files written.")
	t("  %s\n      la configuration, avec une ligne d'explication par réglage\n      (tacit placé derrière Postfix, données dans %s)",
		"  %s\n      the configuration, with one line of explanation per setting\n      (tacit placed behind Postfix, data in %s)", r.cfgPath, r.cfg.DataDir)
	t("  %s\n      le fichier de service de systemd, qui démarre tacit et le relance s'il s'arrête",
		"  %s\n      the systemd service file, which starts tacit and restarts it if it stops", r.unitPath)
	t("  %s\n      la clé privée DKIM (RSA %d bits) qui signe le courrier des listes ; seul son\n      propriétaire peut la lire",
		"  %s\n      the private DKIM key (RSA %d bits) that signs the lists' mail; only its owner\n      can read it", r.keyPath, deploy.DKIMKeyBits)
	t("Gardez ce texte : il donne les trois étapes suivantes, à faire en tant que root.",
		"Keep this text: it gives the next three steps, to be done as root.")
	fmt.Fprintln(w)

	t("1. DNS : publiez ces enregistrements pour %s, là où vous gérez votre nom de domaine\n   (l'interface DNS de votre hébergeur ou de votre bureau d'enregistrement).",
		"1. DNS: publish these records for %s where you manage your domain name\n   (the DNS interface of your hosting provider or registrar).", d)
	t("   Remplacez 192.0.2.1 et 2001:db8::1 par les adresses IP de ce serveur (s'il n'a pas\n   d'adresse IPv6, ne publiez pas la ligne AAAA).",
		"   Replace 192.0.2.1 and 2001:db8::1 with this server's IP addresses (if it has no IPv6\n   address, leave out the AAAA line).")
	block(w, zone...)
	t("   - MX : le courrier adressé à …@%s arrive sur ce serveur, où Postfix le reçoit.",
		"   - MX: mail addressed to …@%s comes to this server, where Postfix receives it.", d)
	t("   - A et AAAA : le nom %s désigne l'adresse de ce serveur. Demandez aussi à\n     l'hébergeur du serveur le DNS inverse (PTR) de ces adresses vers ce nom : sans lui,\n     beaucoup de messageries se méfient du courrier qui en vient.",
		"   - A and AAAA: the name %s points to this server's address. Also ask the server's\n     provider for the reverse DNS (PTR) of these addresses to that name: without it, many\n     mail providers distrust the mail that comes from them.", d)
	t("   - SPF (v=spf1 mx -all) : seul le serveur désigné par le MX envoie le courrier de\n     %s ; un message à son nom envoyé d'ailleurs échoue à cette vérification.",
		"   - SPF (v=spf1 mx -all): only the server named by the MX sends the mail of\n     %s; a message in its name sent from elsewhere fails this check.", d)
	t("   - DKIM (%s._domainkey) : la clé publique, avec laquelle les destinataires vérifient\n     la signature que tacit met sur chaque message. Sa valeur est coupée en morceaux de\n     255 caractères au plus, chacun entre guillemets, comme l'exigent les fichiers de zone ;\n     si l'interface DNS n'a qu'un champ, collez-y les morceaux bout à bout, sans espaces\n     ni guillemets.",
		"   - DKIM (%s._domainkey): the public key, with which recipients check the signature\n     tacit puts on each message. Its value is cut into pieces of at most 255 characters,\n     each in quotes, as zone files require; if the DNS interface has a single field, paste\n     the pieces into it end to end, without spaces or quotes.", sel)
	t("   - DMARC (p=none) : pour commencer, on observe seulement. Rien n'est rejeté, et les\n     rapports envoyés à %s montrent si tout le courrier du domaine réussit\n     les vérifications SPF et DKIM. Après quelques semaines de rapports sans échec,\n     remplacez p=none par p=quarantine : le courrier qui se prétend de %s\n     sans l'être sera alors classé comme indésirable.",
		"   - DMARC (p=none): observe first. Nothing is rejected, and the reports sent to\n     %s show whether all of the domain's mail passes the SPF and DKIM checks.\n     After a few weeks of reports without failures, replace p=none with p=quarantine:\n     mail claiming to be from %s without being so then goes to the spam folder.", rua, d)
	fmt.Fprintln(w)

	t("2. Postfix reçoit d'Internet le courrier pour %s et le transmet à tacit (%s) ;\n   en retour, tacit lui remet ses copies pour les membres (%s), et Postfix les achemine.",
		"2. Postfix receives the mail for %s from the Internet and hands it to tacit (%s);\n   in return, tacit gives it its copies for the members (%s), and Postfix carries them.", d, r.cfg.SMTP.Listen, r.cfg.Delivery.Relay)
	t("   Un réglage écrit deux fois dans main.cf : c'est la dernière ligne qui compte.",
		"   A setting written twice in main.cf: the last line wins.")
	t("   Ajoutez à la fin de /etc/postfix/main.cf :", "   Add at the end of /etc/postfix/main.cf:")
	block(w, r.mainCF...)
	t("   Écrivez dans /etc/postfix/transport (créez le fichier) :", "   Write into /etc/postfix/transport (create the file):")
	block(w, r.transport...)
	t("   Écrivez dans /etc/postfix/virtual (créez le fichier) :", "   Write into /etc/postfix/virtual (create the file):")
	block(w, r.virtual...)
	to := r.postmaster
	if to == "" {
		to = deploy.PostmasterPlaceholder
	}
	t("   Le courrier écrit à postmaster@%[1]s ou à abuse@%[1]s\n   ne va pas à tacit mais à %[2]s. Tout domaine qui reçoit du courrier doit\n   avoir une adresse postmaster (le responsable de la messagerie ; c'est une règle\n   d'Internet, la RFC 5321) : c'est là que les autres messageries envoient leurs\n   plaintes, leurs signalements d'abus et leurs rapports.",
		"   Mail to postmaster@%[1]s or abuse@%[1]s\n   goes not to tacit but to %[2]s: every domain that receives mail must have\n   a postmaster (RFC 5321), and that is where other mail providers send their\n   complaints and reports.", d, to)
	if r.postmaster == "" {
		t("   %[1]s n'est qu'un exemple : remplacez-le, dans /etc/postfix/virtual,\n   par votre propre adresse, prise sur un autre domaine que %[2]s\n   (tout le courrier de %[2]s va à tacit, qui n'a pas de boîte aux lettres).\n   Ou relancez tacit init avec --postmaster ADRESSE --force.",
			"   A real server needs them: replace %s with your own address, at another domain\n   than %s (or run tacit init again with --postmaster ADDRESS --force).", to, d)
	}
	t("   Puis faites relire ces fichiers à Postfix :", "   Then make Postfix read them:")
	block(w, "postmap /etc/postfix/transport", "postmap /etc/postfix/virtual", "postfix reload")
	t("   %s ne doit pas figurer dans mydestination (la commande postconf mydestination\n   l'affiche) : pour Postfix, un domaine est soit livré sur cette machine, soit relayé,\n   pas les deux. S'il y figure parce que la machine porte ce nom, ajoutez aussi à la fin\n   de main.cf la ligne mydestination = localhost.",
		"   %s must not be in mydestination (the command postconf mydestination shows it):\n   for Postfix, a domain is either delivered on this machine or relayed, not both. If it\n   is there because the machine has that name, also add the line mydestination = localhost\n   at the end of main.cf.", d)
	t("   Pas de relais ouvert (un serveur qui achemine le courrier de n'importe qui) : Postfix\n   n'envoie ailleurs que le courrier venu de mynetworks (cette machine, donc tacit) ;\n   d'Internet, il n'accepte pour %s que postmaster, abuse et les adresses\n   que tacit connaît (reject_unverified_recipient : il le demande à tacit avant\n   d'accepter). tacit n'écoute que sur %s, n'accepte que les adresses\n   de ses listes et ne diffuse qu'à leurs membres ; il ne répond pas plus de %d fois\n   par heure à une même adresse.",
		"   No open relay (a server that carries anybody's mail): Postfix sends elsewhere only the\n   mail from mynetworks (this machine, so tacit); from the Internet it accepts for %s\n   only postmaster, abuse and the addresses tacit knows (reject_unverified_recipient: it\n   asks tacit before accepting). tacit listens on %s only, accepts only its lists'\n   addresses and distributes only to their members; it answers one address at most\n   %d times an hour.", d, r.cfg.SMTP.Listen, r.cfg.Delivery.MaxRepliesPerHour)
	fmt.Fprintln(w)

	t("3. systemd : l'utilisateur tacit, qui doit pouvoir lire la configuration et la clé, puis\n   le service, démarré tout de suite et à chaque démarrage de la machine. Avec le paquet\n   .deb, l'utilisateur existe déjà (adduser le signale, ce n'est pas une erreur).",
		"3. systemd: the tacit user, which must be able to read the configuration and the key,\n   then the service, started now and at every boot. With the .deb package the user\n   already exists (adduser says so; that is not an error).")
	block(w,
		"adduser --system --group --no-create-home --home /var/lib/tacit tacit",
		"chgrp tacit "+r.cfgPath+" "+filepath.Dir(r.keyPath),
		"chown tacit:tacit "+r.keyPath,
		"cp "+r.unitPath+" /etc/systemd/system/tacit.service",
		"systemctl daemon-reload",
		"systemctl enable --now tacit",
	)
	t("   Ensuite, docs/deploy.md (avec le paquet : /usr/share/doc/tacit/docs/deploy.md) explique\n   le chiffrement (TLS), la création de la première liste et un premier essai.",
		"   Next, docs/deploy.md (with the package: /usr/share/doc/tacit/docs/deploy.md) explains\n   encryption (TLS), creating the first list and a first test.")
}
