// The office's public page (处室网络页面): articles it writes and publishes, and what else the
// page shows (duty rosters, duty phones). The page itself is /public/, no sign-in.
import { api, call } from './client'
import type { components } from './schema'

type S = components['schemas']
export type Article = S['ArticleResponse']
export type ArticleRequest = S['ArticleRequest']
export type PublicPageSettings = S['PublicPageSettingsResponse']

const id = (v: string) => ({ params: { path: { id: v } } })

export const listArticles = () => call(api.GET('/api/v1/articles'))
export const getArticle = (v: string) => call(api.GET('/api/v1/articles/{id}', id(v)))
export const createArticle = (body: ArticleRequest) => call(api.POST('/api/v1/articles', { body }))
export const updateArticle = (v: string, body: S['ArticleUpdateRequest']) => call(api.PATCH('/api/v1/articles/{id}', { ...id(v), body }))
export const setPublished = (v: string, published: boolean) => call(api.PUT('/api/v1/articles/{id}/published', { ...id(v), body: { published } }))
export const deleteArticle = (v: string) => call(api.DELETE('/api/v1/articles/{id}', id(v)))
export const getPublicPage = () => call(api.GET('/api/v1/public-page'))
export const setPublicPage = (body: S['PublicPageSettingsRequest']) => call(api.PUT('/api/v1/public-page', { body }))
