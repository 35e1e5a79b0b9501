/*
 * sim_identity.h - who the simulated gateways think the merchant is, and where the test keys
 * live: shared by the simulator, its tests, and the config fragment it writes for posterm.
 */
#ifndef POSTERM_SIM_IDENTITY_H
#define POSTERM_SIM_IDENTITY_H

/* Test identities. Keys come from --keys DIR (posterm-sim --make-keys DIR writes them). */
#define SIM_ALIPAY_APP_ID          "2021000100000001"
#define SIM_WECHAT_APPID           "wx5f1e0c1a2b3c4d5e"
#define SIM_WECHAT_MCHID           "1900000109"
#define SIM_WECHAT_MERCHANT_SERIAL "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
#define SIM_WECHAT_PLATFORM_SERIAL "PUB_KEY_ID_0119000001092026112300000000000001"

/* File names inside the keys directory. */
#define SIM_FILE_ALIPAY_APP_PRIVATE      "alipay_app_private.pem"      /* posterm signs with it */
#define SIM_FILE_ALIPAY_APP_PUBLIC       "alipay_app_public.pem"       /* the sim verifies */
#define SIM_FILE_ALIPAY_PLATFORM_PRIVATE "alipay_platform_private.pem" /* the sim signs */
#define SIM_FILE_ALIPAY_PLATFORM_PUBLIC  "alipay_platform_public.pem"  /* posterm verifies */
#define SIM_FILE_WECHAT_MERCHANT_PRIVATE "wechat_merchant_private.pem"
#define SIM_FILE_WECHAT_MERCHANT_PUBLIC  "wechat_merchant_public.pem"
#define SIM_FILE_WECHAT_PLATFORM_PRIVATE "wechat_platform_private.pem"
#define SIM_FILE_WECHAT_PLATFORM_PUBLIC  "wechat_platform_public.pem"
#define SIM_FILE_WECHAT_APIV3_KEY        "wechat_apiv3.key"
#define SIM_FILE_CONFIG_FRAGMENT         "posterm-gateway.json"

/* WeChat rejects a request whose signing time is this far from its own clock. */
#define SIM_WECHAT_MAX_SKEW_S 300

#endif
