/** How deep Bot Control looks. Both levels cost extra (subscription and per-request fees). */
export enum BotControlLevel {
  /** Self-identifying bots by category (scrapers, HTTP libraries, ...). */
  COMMON = 'COMMON',
  /** COMMON plus browser interrogation, fingerprinting and behaviour (challenges and CAPTCHAs). */
  TARGETED = 'TARGETED',
}

/** Options every managed rule group takes. */
export interface ManagedRuleGroupOptions {
  /**
   * Pin the group's version (e.g. `Version_1.19`), so AWS's updates reach you only when you choose.
   * @default - the group's default version, updated by AWS
   */
  readonly version?: string;
  /**
   * Rules of the group to exclude by name (case-sensitive): they count instead of blocking.
   * @default - none
   */
  readonly excludedRules?: string[];
}

/** A managed rule group of another vendor (or one not listed as a factory here). */
export interface CustomManagedRuleGroupProps extends ManagedRuleGroupOptions {
  /** The vendor, e.g. `AWS` or a Marketplace seller. */
  readonly vendorName: string;
  /** The group's name. */
  readonly name: string;
  /** The group's capacity in WAF capacity units (WCU), as its documentation states. */
  readonly capacity: number;
  /**
   * The group's rules that block by default: they are overridden to block
   * with the edge's block response (which names the layer). Other rules keep
   * their own action, and block with WAF's plain 403.
   * @default - none
   */
  readonly blockingRules?: string[];
  /** The group has fees beyond the web ACL's (it is flagged in warnings and the docs). @default false */
  readonly extraCost?: boolean;
}

// Rule names of the AWS managed groups whose default action is Block (AWS WAF Developer Guide).
// A name a version does not have is ignored by WAF; a rule a newer version adds still blocks, with WAF's plain 403.
const CRS_RULES = ['NoUserAgent_HEADER', 'UserAgent_BadBots_HEADER', 'SizeRestrictions_QUERYSTRING', 'SizeRestrictions_Cookie_HEADER',
  'SizeRestrictions_BODY', 'SizeRestrictions_URIPATH', 'EC2MetaDataSSRF_BODY', 'EC2MetaDataSSRF_COOKIE', 'EC2MetaDataSSRF_URIPATH',
  'EC2MetaDataSSRF_QUERYARGUMENTS', 'GenericLFI_QUERYARGUMENTS', 'GenericLFI_URIPATH', 'GenericLFI_BODY', 'RestrictedExtensions_URIPATH',
  'RestrictedExtensions_QUERYARGUMENTS', 'GenericRFI_QUERYARGUMENTS', 'GenericRFI_BODY', 'GenericRFI_URIPATH', 'CrossSiteScripting_COOKIE',
  'CrossSiteScripting_QUERYARGUMENTS', 'CrossSiteScripting_BODY', 'CrossSiteScripting_URIPATH'];
const KNOWN_BAD_INPUTS_RULES = ['JavaDeserializationRCE_HEADER', 'JavaDeserializationRCE_BODY', 'JavaDeserializationRCE_URIPATH',
  'JavaDeserializationRCE_QUERYSTRING', 'Host_localhost_HEADER', 'PROPFIND_METHOD', 'ExploitablePaths_URIPATH', 'Log4JRCE_HEADER',
  'Log4JRCE_QUERYSTRING', 'Log4JRCE_BODY', 'Log4JRCE_URIPATH', 'ReactJSRCE_BODY'];
const SQLI_RULES = ['SQLi_QUERYARGUMENTS', 'SQLiExtendedPatterns_QUERYARGUMENTS', 'SQLi_BODY', 'SQLiExtendedPatterns_BODY', 'SQLi_COOKIE',
  'SQLi_URIPATH', 'SQLiExtendedPatterns_HEADER', 'SQLiExtendedPatterns_URIPATH'];
const IP_REPUTATION_RULES = ['AWSManagedIPReputationList', 'AWSManagedReconnaissanceList']; // AWSManagedIPDDoSList counts by default
const ANONYMOUS_IP_RULES = ['AnonymousIPList', 'HostingProviderIPList'];
const LINUX_RULES = ['LFI_URIPATH', 'LFI_QUERYSTRING', 'LFI_HEADER'];
const POSIX_RULES = ['UNIXShellCommandsVariables_QUERYSTRING', 'UNIXShellCommandsVariables_BODY', 'UNIXShellCommandsVariables_HEADER',
  'UNIXShellCommandsVariables_QUERYARGUMENTS'];
const BOT_CONTROL_COMMON_RULES = ['CategoryAdvertising', 'CategoryArchiver', 'CategoryContentFetcher', 'CategoryEmailClient',
  'CategoryHttpLibrary', 'CategoryLinkChecker', 'CategoryMiscellaneous', 'CategoryMonitoring', 'CategoryScrapingFramework',
  'CategorySearchEngine', 'CategorySecurity', 'CategorySeo', 'CategorySocialMedia', 'CategoryAI', 'CategoryPagePreview', 'CategoryWebhooks',
  'SignalAutomatedBrowser', 'SignalKnownBotDataCenter', 'SignalNonBrowserUserAgent'];

/**
 * A managed rule group in the edge's web ACL. The factories cover the AWS
 * groups; `ManagedRuleGroup.defaults()` is what `EdgeFilter` uses unless told otherwise.
 */
export class ManagedRuleGroup {
  /** The default set: core rule set, known bad inputs, SQL database, Amazon IP reputation (1,125 WCU). */
  public static defaults(): ManagedRuleGroup[] {
    return [ManagedRuleGroup.amazonIpReputation(), ManagedRuleGroup.coreRuleSet(), ManagedRuleGroup.knownBadInputs(), ManagedRuleGroup.sqlDatabase()];
  }

  /** AWSManagedRulesCommonRuleSet (700 WCU): OWASP-style protection for any web application. */
  public static coreRuleSet(options: ManagedRuleGroupOptions = {}): ManagedRuleGroup {
    return new ManagedRuleGroup('AWS', 'AWSManagedRulesCommonRuleSet', 700, CRS_RULES, false, options);
  }

  /** AWSManagedRulesKnownBadInputsRuleSet (200 WCU): Log4j, Java deserialization, exploitable paths. */
  public static knownBadInputs(options: ManagedRuleGroupOptions = {}): ManagedRuleGroup {
    return new ManagedRuleGroup('AWS', 'AWSManagedRulesKnownBadInputsRuleSet', 200, KNOWN_BAD_INPUTS_RULES, false, options);
  }

  /** AWSManagedRulesSQLiRuleSet (200 WCU): SQL injection. */
  public static sqlDatabase(options: ManagedRuleGroupOptions = {}): ManagedRuleGroup {
    return new ManagedRuleGroup('AWS', 'AWSManagedRulesSQLiRuleSet', 200, SQLI_RULES, false, options);
  }

  /** AWSManagedRulesAmazonIpReputationList (25 WCU): addresses Amazon threat intelligence has seen attack. Not versioned. */
  public static amazonIpReputation(options: ManagedRuleGroupOptions = {}): ManagedRuleGroup {
    return new ManagedRuleGroup('AWS', 'AWSManagedRulesAmazonIpReputationList', 25, IP_REPUTATION_RULES, false, options);
  }

  /** AWSManagedRulesAnonymousIpList (50 WCU, optional): VPNs, Tor, proxies and hosting providers. Not versioned. */
  public static anonymousIpList(options: ManagedRuleGroupOptions = {}): ManagedRuleGroup {
    return new ManagedRuleGroup('AWS', 'AWSManagedRulesAnonymousIpList', 50, ANONYMOUS_IP_RULES, false, options);
  }

  /** AWSManagedRulesLinuxRuleSet (200 WCU, optional): Linux local file inclusion. */
  public static linux(options: ManagedRuleGroupOptions = {}): ManagedRuleGroup {
    return new ManagedRuleGroup('AWS', 'AWSManagedRulesLinuxRuleSet', 200, LINUX_RULES, false, options);
  }

  /** AWSManagedRulesUnixRuleSet (100 WCU, optional): POSIX shell command injection. */
  public static posix(options: ManagedRuleGroupOptions = {}): ManagedRuleGroup {
    return new ManagedRuleGroup('AWS', 'AWSManagedRulesUnixRuleSet', 100, POSIX_RULES, false, options);
  }

  /**
   * AWSManagedRulesBotControlRuleSet (50 WCU, optional, **extra cost**: a monthly
   * subscription and a fee per request it inspects). Verified bots are labelled, not blocked.
   */
  public static botControl(level: BotControlLevel = BotControlLevel.COMMON, options: ManagedRuleGroupOptions = {}): ManagedRuleGroup {
    return new ManagedRuleGroup('AWS', 'AWSManagedRulesBotControlRuleSet', 50, BOT_CONTROL_COMMON_RULES, true, options, level);
  }

  /** Any other managed rule group, with its capacity and the rules that block by default. */
  public static of(props: CustomManagedRuleGroupProps): ManagedRuleGroup {
    return new ManagedRuleGroup(props.vendorName, props.name, props.capacity, props.blockingRules ?? [], props.extraCost ?? false, props);
  }

  public readonly vendorName: string;
  public readonly name: string;
  /** Capacity in WAF capacity units (WCU). */
  public readonly capacity: number;
  /** Pinned version, if any. */
  public readonly version?: string;
  /** Rules excluded by name (they count). */
  public readonly excludedRules: string[];
  /** Rules that block by default; they answer with the edge's block response. */
  public readonly blockingRules: string[];
  /** Whether the group costs more than the web ACL's base price. */
  public readonly extraCost: boolean;
  /** Bot Control's inspection level, for that group. */
  public readonly botControlLevel?: BotControlLevel;

  private constructor(vendorName: string, name: string, capacity: number, blockingRules: string[], extraCost: boolean,
    options: ManagedRuleGroupOptions, botControlLevel?: BotControlLevel) {
    this.vendorName = vendorName;
    this.name = name;
    this.capacity = capacity;
    this.version = options.version;
    this.excludedRules = [...options.excludedRules ?? []];
    this.blockingRules = [...blockingRules];
    this.extraCost = extraCost;
    this.botControlLevel = botControlLevel;
  }
}
